#!/bin/bash
# A certificate from "Evil CA", which the CA file does not hold: the check
# fails naming the issuer and the bundle. Without --ca, the system's bundle
# (which holds neither test CA) is named.
TEST=ckuntrst
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
E=evil.blob.core.windows.net
B=ok12.blob.core.windows.net
ck_ca ca "Test Azure CA"
ck_ca evil "Evil CA"
ck_cert "$T_DIR/pki/$E.pem" evil $E $E
ck_endpoint $E 100.64.2.24 tls12 "$T_DIR/pki/$E.pem"
ck_endpoint $B 100.64.2.10 tls12

ck_fail_reason $E:443 tls "$E:443: certificate not trusted (issuer CN=Evil CA not in $CK_CA)"
ck_is $E:443 cert_issuer "CN=Evil CA"
ck_is $E:443 cert_subject "CN=$E"
CK_NO_CA=1 ck_fail_reason $B:443 tls \
  "$B:443: certificate not trusted (issuer CN=Test Azure CA not in the system's CA bundle)"
finish
