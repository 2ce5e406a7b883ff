#!/bin/bash
# Checks through the Azure proxy (Squid "azure-proxy", CONNECT on 3128, no
# credentials): TLS 1.2 and TLS 1.3 endpoints pass, the row carries the
# proxy's answer, and Squid's own log shows the CONNECTs (from the path's
# address when the check is pinned to p2).
TEST=ckproxy
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
S=ok13.servicebus.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint $S 100.64.2.11 tls13
ck_azure_proxy

ck_probe --proxy 100.64.3.3:3128 --via azure-proxy $B:443 $S:443
ck_rc_is 0
for e in $B:443 $S:443; do
  ck_is $e verdict pass
  ck_is $e proxy_status 200
  ck_is $e proxy_line "HTTP/1.1 200 Connection established"
  ck_is $e cipher_bits 256
done
ck_is $B:443 tls_version TLSv1.2
ck_is $S:443 tls_version TLSv1.3
ck_is $S:443 cipher TLS_AES_256_GCM_SHA384
check "proxy phase time is a number" \
  jq -se '[.[] | select(.endpoint?) | .proxy_ms | type == "number"] | all and length == 2' "$CK_OUT" >/dev/null
log_has() { grep -q "$1 .*CONNECT $2" "$T_DIR/squid-azure-proxy/access.log"; }
check "azure-proxy logged the CONNECT to $B from p1" wait_for 5 "access.log" log_has 100.64.10.1 $B:443
check "azure-proxy logged the CONNECT to $S" wait_for 5 "access.log" log_has 100.64.10.1 $S:443

# pinned to the second path by device: the proxy sees p2's address
ck_probe --path b,dev=p2 --proxy 100.64.3.3:3128 --via azure-proxy $S:443
ck_rc_is 0
ck_is $S:443 verdict pass b
check "azure-proxy logged the CONNECT from p2" wait_for 5 "access.log" log_has 100.64.10.5 $S:443
finish
