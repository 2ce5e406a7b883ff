#!/bin/bash
# Hostile proxies (tests/checks/hostile_proxy.py, next to the real Squids of
# the other tests): a parent's 503 relayed with a two-hop Via is named for
# the hop that made it; '%', control bytes and a 20 kB Via in the answer
# give a bounded reason of printable text; header lines that never end and
# a proxy that never answers end at the proxy phase's deadline.
TEST=ckhostil
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12
port=3130
for mode in relayed503 binary endless silent; do
  spawn "$T_DIR/hostile-$mode.log" ip netns exec "$TEST-proxy" python3 \
    "$(dirname "$0")/hostile_proxy.py" 100.64.3.3 $port $mode
  wait_for 10 "hostile proxy $mode" ck_up "$LAST_PID" proxy 100.64.3.3 $port
  ck_listening proxy 100.64.3.3 $port || die "hostile proxy $mode: $(cat "$T_DIR/hostile-$mode.log")"
  eval "PORT_$mode=$port"
  port=$((port + 1))
done
V=(--via dmz-proxy,azure-proxy --proxy-timeout 1500)
# a reason of printable text, < 256 bytes, naming the first hop
sane() {
  jq -se --arg e "$1" '[.[] | select(.endpoint? == $e)] | last | .reason
    | (test("[\u0000-\u001f\u007f-\u009f]") | not) and (utf8bytelength < 256)' "$CK_OUT" >/dev/null
}

ck_fail_reason $B:443 proxy "dmz-proxy → azure-proxy: 503 ERR_CONNECT_FAIL to $B:443" \
  --proxy 100.64.3.3:$PORT_relayed503 "${V[@]}"
ck_is $B:443 proxy_hop azure-proxy

ck_probe --proxy 100.64.3.3:$PORT_binary "${V[@]}" $B:443
ck_rc_is 1
ck_is $B:443 phase proxy
check "binary answer: the reason is printable and bounded" sane $B:443
check "binary answer: every field is valid JSON text" jq -se . "$CK_OUT"

t0=$(now_ms)
ck_probe --proxy 100.64.3.3:$PORT_endless "${V[@]}" $B:443
t1=$(now_ms)
ck_rc_is 1
ck_is $B:443 phase proxy
check "endless headers: the reason is printable and bounded" sane $B:443
check "endless headers: ended within 10 s (deadline 1.5 s)" [ $((t1 - t0)) -lt $((10000 * ${TEST_TIME_SCALE:-1})) ]

ck_fail_reason $B:443 proxy "timed out after 1500 ms waiting for the CONNECT answer from dmz-proxy" \
  --proxy 100.64.3.3:$PORT_silent "${V[@]}"
finish
