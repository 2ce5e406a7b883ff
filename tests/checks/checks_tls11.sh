#!/bin/bash
# An endpoint that offers only TLS 1.1 (OpenSSL 3 at SECLEVEL 0): the check
# fails and names what the endpoint offers against the policy; the same
# through azure-proxy.
TEST=cktls11
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
O=old.blob.core.windows.net
ck_endpoint $O 100.64.2.20 tls11
ck_azure_proxy

ck_fail_reason $O:443 tls "$O:443: TLSv1.1 only (policy: TLS 1.2 or newer)"
ck_fail_reason $O:443 tls "$O:443: TLSv1.1 only (policy: TLS 1.2 or newer)" \
  --proxy 100.64.3.3:3128 --via azure-proxy
ck_is $O:443 proxy_status 200
finish
