#!/bin/bash
# A chain across Purdue levels: the sensor speaks only to "dmz-proxy"
# (credentials required), which forwards to its parent "azure-proxy"
# (never direct). With the credentials (password from a file) both TLS
# endpoints pass, and both Squids logged the CONNECT: the first from the
# gateway, the parent from dmz-proxy.
TEST=ckchain
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
S=ok13.servicebus.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint $S 100.64.2.11 tls13
ck_azure_proxy
ck_dmz_proxy
pw=$(ck_password_file)

ck_probe --proxy 100.64.4.4:3128 --via dmz-proxy,azure-proxy --user $CK_USER \
  --password-file "$pw" --auth basic $B:443 $S:443
ck_rc_is 0
for e in $B:443 $S:443; do
  ck_is $e verdict pass
  ck_is $e proxy_status 200
done
ck_is $B:443 tls_version TLSv1.2
ck_is $B:443 cipher ECDHE-RSA-AES256-GCM-SHA384
ck_is $S:443 tls_version TLSv1.3
ck_is $S:443 cipher TLS_AES_256_GCM_SHA384
log_has() { grep -q "$2 .*CONNECT $3 $4" "$T_DIR/squid-$1/access.log"; }
check "dmz-proxy logged $CK_USER's CONNECT from the gateway" \
  wait_for 5 "dmz access.log" log_has dmz-proxy 100.64.10.1 $S:443 $CK_USER
check "azure-proxy logged the CONNECT from dmz-proxy" \
  wait_for 5 "azure access.log" log_has azure-proxy 100.64.4.4 $S:443 -

# any scheme the proxy offers (default --auth any): Basic here
ck_probe --proxy 100.64.4.4:3128 --via dmz-proxy,azure-proxy --user $CK_USER \
  --password-file "$pw" $B:443
ck_rc_is 0
ck_is $B:443 verdict pass
finish
