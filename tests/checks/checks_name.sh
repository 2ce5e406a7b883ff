#!/bin/bash
# A certificate from the trusted CA that names another host: the check fails
# naming the host it asked for and the subject it got.
TEST=ckname
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
N=wrong.blob.core.windows.net
ck_ca ca "Test Azure CA"
ck_cert "$T_DIR/pki/other.pem" ca other.example other.example
ck_endpoint $N 100.64.2.23 tls12 "$T_DIR/pki/other.pem"
ck_azure_proxy

ck_fail_reason $N:443 tls "$N:443: certificate does not name $N (subject CN=other.example)"
ck_is $N:443 cert_subject CN=other.example
ck_fail_reason $N:443 tls "$N:443: certificate does not name $N (subject CN=other.example)" \
  --proxy 100.64.3.3:3128 --via azure-proxy
finish
