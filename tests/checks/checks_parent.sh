#!/bin/bash
# Answers from the parent of the chain, named for the hop that made them.
# 1. azure-proxy (the parent) cannot reach the endpoint (nothing listens):
#    its 503 ERR_CONNECT_FAIL, relayed by dmz-proxy without a Via header, so
#    the reason says dmz-proxy answered and that no hop is named.
# 2. azure-proxy refuses a CONNECT that dmz-proxy lets through (port 5671):
#    its 403, relayed by dmz-proxy (Via: azure-proxy only).
# Note: Squid 5.7 sends a tunnel's connect failure (503 ERR_CONNECT_FAIL)
# without Via or X-Cache, and dmz-proxy relays it unchanged; a 503 made by
# dmz-proxy itself when azure-proxy is down has the very same headers.
TEST=ckparent
CK_PLAIN_PASSWORD=1 # (the password with escapes: checks_chain, checks_auth)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
D=down.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint $B 100.64.2.10 tls12 "" 5671
nsx azure ip addr add 100.64.2.25/32 dev lo
ck_name 100.64.2.25 $D
ck_squid_extra="acl amqps port 5671
http_access deny amqps" ck_azure_proxy
ck_dmz_proxy
pw=$(ck_password_file)
C=(--proxy 100.64.4.4:3128 --via dmz-proxy,azure-proxy --user "$CK_USER" --password-file "$pw")

ck_fail_reason $D:443 proxy \
  "dmz-proxy answered 503: ERR_CONNECT_FAIL to $D:443 (the answer names no hop: dmz-proxy or one behind it)" "${C[@]}"
ck_is $D:443 proxy_status 503
ck_is $D:443 proxy_error "ERR_CONNECT_FAIL 111"

ck_fail_reason $B:5671 proxy "dmz-proxy → azure-proxy: 403 ERR_ACCESS_DENIED to $B:5671" "${C[@]}"
ck_is $B:5671 proxy_hop azure-proxy
finish
