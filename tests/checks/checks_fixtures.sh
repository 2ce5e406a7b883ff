#!/bin/bash
# The fixtures themselves, proven with stock curl and openssl s_client (no
# tunneld code): each endpoint, proxy and path cut really behaves as the
# checks_* tests assume, so a failure there is the probe's, not the fixture's.
TEST=ckfixt
CK_NO_PROBE=1
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint ok13.servicebus.windows.net 100.64.2.11 tls13
ck_endpoint old.blob.core.windows.net 100.64.2.20 tls11
ck_endpoint weak.blob.core.windows.net 100.64.2.21 aes128
ck_cert "$T_DIR/pki/expired.pem" ca expired.blob.core.windows.net expired.blob.core.windows.net \
  -864000 $((-3 * 86400 - 3600))
ck_endpoint expired.blob.core.windows.net 100.64.2.22 tls12 "$T_DIR/pki/expired.pem"
ck_cert "$T_DIR/pki/other.pem" ca other.example other.example
ck_endpoint wrong.blob.core.windows.net 100.64.2.23 tls12 "$T_DIR/pki/other.pem"
ck_ca evil "Evil CA"
ck_cert "$T_DIR/pki/evil.pem" evil evil.blob.core.windows.net evil.blob.core.windows.net
ck_endpoint evil.blob.core.windows.net 100.64.2.24 tls12 "$T_DIR/pki/evil.pem"
nsx azure ip addr add 100.64.2.25/32 dev lo
ck_name 100.64.2.25 down.blob.core.windows.net
ck_azure_proxy
ck_dmz_proxy
userpw="$CK_USER:$(ck_urlenc "$CK_PASSWORD")" # (curl URL-decodes --proxy-user)

# c ARGS... -> "HTTP_CODE CONNECT_CODE VERIFY_RESULT CURL_EXIT" of one curl in gw
c() {
  local out rc
  out=$(nsx gw curl -sS --cacert "$CK_CA" -o /dev/null --max-time 5 \
    -w '%{http_code} %{http_connect} %{ssl_verify_result}' "$@" 2>>"$T_DIR/curl.log")
  rc=$?
  echo "$out $rc"
}
# s ARGS... -> openssl s_client's summary in gw (protocol and cipher lines)
s() {
  nsx gw openssl s_client -brief -CAfile "$CK_CA" "$@" </dev/null 2>&1 |
    grep -E '^(Protocol version|Ciphersuite|Verification|.*error)' | tr '\n' ' '
}
is() { [ "$1" = "$2" ] || { log "got '$1', expected '$2'"; return 1; }; }
has() { case $1 in *"$2"*) return 0 ;; *) log "'$1' lacks '$2'"; return 1 ;; esac; }

check "TLS 1.2 AES-256 endpoint" has "$(s -connect $B:443 -servername $B)" \
  "Ciphersuite: ECDHE-RSA-AES256-GCM-SHA384"
check "TLS 1.3 endpoint" has "$(s -connect ok13.servicebus.windows.net:443)" \
  "Ciphersuite: TLS_AES_256_GCM_SHA384"
check "TLS 1.1 endpoint refuses TLS 1.2" is "$(c https://old.blob.core.windows.net/)" "000 000 1 35"
check "TLS 1.1 endpoint speaks TLS 1.1 at SECLEVEL 0" has \
  "$(s -connect old.blob.core.windows.net:443 -tls1_1 -cipher DEFAULT@SECLEVEL=0)" "Protocol version: TLSv1.1"
check "AES-128 endpoint refuses AES-256" is \
  "$(c --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384 https://weak.blob.core.windows.net/)" "000 000 1 35"
check "AES-128 endpoint" has "$(s -connect weak.blob.core.windows.net:443)" \
  "Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256"
check "expired certificate (X509_V_ERR_CERT_HAS_EXPIRED)" is \
  "$(c https://expired.blob.core.windows.net/)" "000 000 10 60"
check "name mismatch" is "$(c https://wrong.blob.core.windows.net/)" "000 000 1 60"
check "untrusted CA (unable to get local issuer)" is "$(c https://evil.blob.core.windows.net/)" "000 000 20 60"
check "endpoint down: refused" is "$(c https://down.blob.core.windows.net/)" "000 000 0 7"
check "DNS failure" is "$(c https://nowhere.blob.core.windows.net/)" "000 000 0 6"
check "azure-proxy carries CONNECT" is "$(c --proxy 100.64.3.3:3128 https://$B/)" "200 200 0 0"
check "azure-proxy refuses port 8443 (403)" is "$(c --proxy 100.64.3.3:3128 https://$B:8443/)" "000 403 0 56"
check "azure-proxy:3129 asks for credentials (407)" is "$(c --proxy 100.64.3.3:3129 https://$B/)" "000 407 0 56"
check "azure-proxy:3129 refuses a wrong password (407)" is \
  "$(c --proxy 100.64.3.3:3129 --proxy-user $CK_USER:wrong https://$B/)" "000 407 0 56"
check "azure-proxy:3129 with credentials" is \
  "$(c --proxy 100.64.3.3:3129 --proxy-user "$userpw" https://$B/)" "200 200 0 0"
check "dmz-proxy asks for credentials (407)" is "$(c --proxy 100.64.4.4:3128 https://$B/)" "000 407 0 56"
check "the chain with credentials" is "$(c --proxy 100.64.4.4:3128 --proxy-user "$userpw" https://$B/)" "200 200 0 0"
check "the chain's parent cannot reach the endpoint (503)" is \
  "$(c --proxy 100.64.4.4:3128 --proxy-user "$userpw" https://down.blob.core.windows.net/)" "000 503 0 56"
check "azure-proxy logged the chain's CONNECT from dmz-proxy" \
  grep -q "100.64.4.4 .*CONNECT $B:443 " "$T_DIR/squid-azure-proxy/access.log"
ck_cut a1 100.64.2.10
check "cut on p1: pinned to p1 times out" is "$(c --interface p1 --connect-timeout 1 https://$B/)" "000 000 0 28"
check "cut on p1: pinned to p2 passes" is "$(c --interface p2 https://$B/)" "200 000 0 0"
check "cut on p1: from p2's source address passes" is "$(c --interface 100.64.10.5 https://$B/)" "200 000 0 0"
ck_cut a2 100.64.2.10
check "cut on both: p2 times out" is "$(c --interface p2 --connect-timeout 1 https://$B/)" "000 000 0 28"
finish
