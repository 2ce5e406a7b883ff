#!/bin/bash
# checks_smoke: the check engine end to end through checks-probe, direct.
# An `openssl s_server` (TLS 1.2, ECDHE-RSA-AES256-GCM-SHA384) in netns srv
# with a certificate from a CA this test makes, for a name the test resolves
# (/etc/netns/$TEST-cli/hosts): with that CA the check passes and records the
# session and the certificate; with another CA it fails with the exact
# reason. The fuller matrix (proxies, chains, policies) is tests/checks/*.sh
# of the fixtures.
#
# Needs: root, openssl, jq; CHECKS_PROBE (the checks-probe binary).
TEST=${TEST:-checks_smoke}
# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"

PROBE=${CHECKS_PROBE:?CHECKS_PROBE must name the checks-probe binary}
NAME=smoke.blob.core.windows.net
ETC="/etc/netns/$TEST-cli"
smoke_exit() {
  local rc=$?
  rm -rf "$ETC"
  (exit $rc)
  cleanup_all
}
trap smoke_exit EXIT

# a CA and a leaf for NAME; a second CA nobody uses to sign
pki() {
  local d=$T_DIR/pki
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Smoke CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Other CA" \
    -keyout "$d/other.key" -out "$d/other.pem" 2>/dev/null || return 1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$NAME" -keyout "$d/leaf.key" \
    -out "$d/leaf.csr" 2>/dev/null || return 1
  printf 'subjectAltName=DNS:%s\n' "$NAME" >"$d/ext"
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/ext" -out "$d/leaf.pem" 2>/dev/null
}

listening() { nsx srv ss -ltnH "sport = :443" | grep -q LISTEN; }

# row FILE JQ -> the value of JQ on the first row (the object with "endpoint")
row() { jq -r "select(has(\"endpoint\")) | $2" "$1" | head -n1; }

pki || die "cannot make the test's CA and certificate"
netns_new cli
netns_new srv
veth_pair cli c0 100.64.20.1/30 srv s0 100.64.20.2/30
rm -rf "$ETC"
mkdir -p "$ETC" || die "cannot make $ETC"
printf '127.0.0.1 localhost\n100.64.20.2 %s\n' "$NAME" >"$ETC/hosts"
echo "nameserver 127.0.0.1" >"$ETC/resolv.conf"

spawn "$T_DIR/s_server.log" ip netns exec "$TEST-srv" openssl s_server -quiet -accept 443 \
  -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -cert "$T_DIR/pki/leaf.pem" \
  -key "$T_DIR/pki/leaf.key"
wait_for 10 "s_server listening on 443" listening || die "s_server did not start"

# 1. the right CA: pass, with the session and the certificate recorded
nsx cli "$PROBE" --ca "$T_DIR/pki/ca.pem" "$NAME:443" >"$T_DIR/pass.json" 2>"$T_DIR/pass.err"
rc=$?
check "exit status 0 with the right CA (got $rc)" test "$rc" = 0
check "verdict pass" test "$(row "$T_DIR/pass.json" .verdict)" = pass
check "TLSv1.2 negotiated" test "$(row "$T_DIR/pass.json" .tls_version)" = TLSv1.2
check "cipher ECDHE-RSA-AES256-GCM-SHA384 (256-bit)" \
  test "$(row "$T_DIR/pass.json" '"\(.cipher) \(.cipher_bits)"')" = "ECDHE-RSA-AES256-GCM-SHA384 256"
check "certificate subject CN=$NAME" test "$(row "$T_DIR/pass.json" .cert_subject)" = "CN=$NAME"
check "certificate issuer CN=Smoke CA" test "$(row "$T_DIR/pass.json" .cert_issuer)" = "CN=Smoke CA"
na=$(row "$T_DIR/pass.json" .cert_not_after)
now=$(date +%s)
check "not after about 30 days ahead ($na)" \
  test "$na" -gt $((now + 29 * 86400)) -a "$na" -lt $((now + 31 * 86400))
check "connect and TLS times measured, no proxy time" \
  test "$(row "$T_DIR/pass.json" '"\(.connect_ms|type) \(.tls_ms|type) \(.proxy_ms)"')" = "number number null"
check "the path reported ok once" \
  test "$(jq -c 'select(has("ok")) | [.path, .ok]' "$T_DIR/pass.json")" = '["default",true]'

# 2. another CA: fail, the exact reason
nsx cli "$PROBE" --ca "$T_DIR/pki/other.pem" "$NAME:443" >"$T_DIR/fail.json" 2>"$T_DIR/fail.err"
rc=$?
check "exit status 1 with another CA (got $rc)" test "$rc" = 1
want="$NAME:443: certificate not trusted (issuer CN=Smoke CA not in $T_DIR/pki/other.pem)"
got=$(row "$T_DIR/fail.json" .reason)
check "reason '$want' (got '$got')" test "$got" = "$want"
check "verdict fail in phase tls, fault service (one path)" \
  test "$(row "$T_DIR/fail.json" '"\(.verdict) \(.phase) \(.fault)"')" = "fail tls service"
check "the leaf still recorded when verification fails" \
  test "$(row "$T_DIR/fail.json" .cert_subject)" = "CN=$NAME"

# 3. a usage error: exit 2 with a message
"$PROBE" --min-version 1.1 "$NAME:443" >/dev/null 2>"$T_DIR/usage.err"
rc=$?
check "exit status 2 on a bad option (got $rc)" test "$rc" = 2
check "the bad option named" grep -q -- "--min-version" "$T_DIR/usage.err"

[ "$T_CHECKS" -gt 0 ] || die "no assertion ran"
[ "$T_FAILED" -eq 0 ] || die "$T_FAILED of $T_CHECKS checks failed"
log "all $T_CHECKS checks passed"
