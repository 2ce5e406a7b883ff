#!/bin/bash
# Direct checks that pass: TLS 1.2 (ECDHE-RSA-AES256-GCM-SHA384) and TLS 1.3
# (TLS_AES_256_GCM_SHA384) endpoints with certificates from the test's CA;
# the row names the session and the certificate. The same TLS 1.2 endpoint
# fails a TLS 1.3 policy.
TEST=ckdirect
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
S=ok13.servicebus.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint $S 100.64.2.11 tls13

ck_probe $B:443 $S:443
ck_rc_is 0
ck_is $B:443 verdict pass
ck_is $B:443 tls_version TLSv1.2
ck_is $B:443 cipher ECDHE-RSA-AES256-GCM-SHA384
ck_is $B:443 cipher_bits 256
ck_is $B:443 cert_subject "CN=$B"
ck_is $B:443 cert_issuer "CN=Test Azure CA"
ck_is $B:443 proxy_status null
ck_is $B:443 path default
ck_is $S:443 verdict pass
ck_is $S:443 tls_version TLSv1.3
ck_is $S:443 cipher TLS_AES_256_GCM_SHA384
ck_is $S:443 cipher_bits 256
ck_is $S:443 cert_subject "CN=$S"
# the certificate's expiry as the CA wrote it (30 days from its making)
want=$(date -d "$(openssl x509 -noout -enddate -in "$T_DIR/pki/100.64.2.11.pem" | cut -d= -f2)" +%s)
ck_is $S:443 cert_not_after "$want"
check "connect and TLS phase times are numbers" \
  jq -se '[.[] | select(.endpoint?) | (.connect_ms | type == "number") and (.tls_ms | type == "number")] | all and length == 2' "$CK_OUT" >/dev/null
ck_path_is default ok true

# a TLS 1.3 policy: the TLS 1.2-only endpoint fails, the TLS 1.3 one passes
ck_probe --min-version 1.3 $B:443 $S:443
ck_rc_is 1
ck_is $B:443 verdict fail
ck_is $B:443 reason "$B:443: TLSv1.2 only (policy: TLS 1.3 or newer)"
ck_is $S:443 verdict pass
finish
