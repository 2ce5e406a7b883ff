#!/bin/bash
# azure-proxy refuses CONNECT (403, X-Squid-Error ERR_ACCESS_DENIED) to a port
# it does not allow (8443) and to a domain that is not an endpoint's; the
# reason names the hop by its name in --via, else the proxy's host:port.
TEST=ckrefuse
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint $B 100.64.2.10 tls12 "" 8443
ck_endpoint portal.example.net 100.64.2.13 tls12
ck_azure_proxy

P=(--proxy 100.64.3.3:3128 --via azure-proxy)
ck_fail_reason $B:8443 proxy "azure-proxy answered 403: CONNECT refused (ERR_ACCESS_DENIED)" "${P[@]}"
ck_is $B:8443 proxy_status 403
ck_is $B:8443 proxy_line "HTTP/1.1 403 Forbidden"
ck_is $B:8443 proxy_error "ERR_ACCESS_DENIED 0"
ck_is $B:8443 proxy_hop azure-proxy
ck_is $B:8443 tls_version null
ck_fail_reason portal.example.net:443 proxy \
  "azure-proxy answered 403: CONNECT refused (ERR_ACCESS_DENIED)" "${P[@]}"
# no hop names: the proxy by host:port
ck_fail_reason $B:8443 proxy \
  "proxy 100.64.3.3:3128 answered 403: CONNECT refused (ERR_ACCESS_DENIED)" --proxy 100.64.3.3:3128
# the endpoint itself is fine directly
ck_probe $B:8443
ck_rc_is 0
finish
