#!/bin/bash
# azure-proxy asks for credentials on 3129 (basic_ncsa_auth): none configured
# -> 407 "credentials required (none configured)"; a wrong password -> 407
# "credentials refused"; the right one passes. The same for the first hop
# of the chain (dmz-proxy).
TEST=ckauth
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_azure_proxy
ck_dmz_proxy
pw=$(ck_password_file)
printf 'not-the-password\n' >"$T_DIR/wrong"

P=(--proxy 100.64.3.3:3129 --via azure-proxy)
ck_fail_reason $B:443 proxy "azure-proxy answered 407: credentials required (none configured)" "${P[@]}"
ck_is $B:443 proxy_status 407
ck_is $B:443 proxy_error "ERR_CACHE_ACCESS_DENIED 0"
ck_fail_reason $B:443 proxy "azure-proxy answered 407: credentials refused" "${P[@]}" \
  --user $CK_USER --password-file "$T_DIR/wrong"
ck_fail_reason $B:443 proxy "azure-proxy answered 407: credentials refused" "${P[@]}" \
  --user nobody --password-file "$pw"
ck_probe "${P[@]}" --user $CK_USER --password-file "$pw" $B:443
ck_rc_is 0
ck_is $B:443 verdict pass

D=(--proxy 100.64.4.4:3128 --via dmz-proxy,azure-proxy)
ck_fail_reason $B:443 proxy "dmz-proxy answered 407: credentials required (none configured)" "${D[@]}"
ck_fail_reason $B:443 proxy "dmz-proxy answered 407: credentials refused" "${D[@]}" \
  --user $CK_USER --password-file "$T_DIR/wrong"
finish
