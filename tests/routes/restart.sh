#!/bin/bash
# Restart without a flap: run, stop (routes kept), start again while ip
# monitor records: zero delete events, zero requests. Then --flush-on-exit
# withdraws everything.
TEST=${TEST:-rtrestrt}
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 2000 200 10 20
drv_start
v4=$(nroutes 4)
nh=$(nnexthops)
check "driver stops" drv_stop
check "routes kept after stop" test "$(nroutes 4)" -eq "$v4" -a "$v4" -eq 2001
check "nexthops kept after stop" test "$(nnexthops)" -eq "$nh"
check "rules kept after stop" sh -c "ip netns exec $TEST-gw ip rule | grep -q 'lookup $TABLE proto 116'"

spawn "$T_DIR/monitor.log" ip -n "$TEST-gw" monitor route nexthop rule
MON_PID=$LAST_PID
# ip monitor has no readiness signal: a marker route seen in its output
# before the restart proves it records the restart. Each attempt adds a new
# route (same prefix, another metric), so every attempt is notified; none is
# deleted while the monitor runs. A second marker after the restart proves
# everything until then reached the log.
marker() { grep -q "$1" "$T_DIR/monitor.log"; }
MARKS=0
marker_sent() {
  MARKS=$((MARKS + 1))
  nsx gw ip route add 192.0.2.64/26 via 192.0.2.10 metric $((4200 + MARKS)) &&
    marker "192.0.2.64/26 via 192.0.2.10 dev .* metric 42"
}
check "ip monitor was recording before the restart" wait_for 5 "monitor marker" marker_sent
mv "$DLOG" "$T_DIR/driver-1.log"
drv_start
check "restart adopts: zero requests" grep -q '^applied ok=1 messages=0 ' "$DLOG"
check "adoption logged" grep -q \
  "adopted $((v4 + 201)) routes, $((v4 + 201)) fail-closed routes and $nh nexthops" "$DLOG"
check "driver stops again" drv_stop
nsx gw ip route add 192.0.2.128/25 via 192.0.2.10
check "ip monitor was recording after the restart" wait_for 5 "monitor marker" marker 192.0.2.128/25
kill "$MON_PID"; wait "$MON_PID" 2>/dev/null  # gone before the markers are removed
for m in $(seq 1 "$MARKS"); do nsx gw ip route del 192.0.2.64/26 via 192.0.2.10 metric $((4200 + m)) 2>/dev/null; done
nsx gw ip route del 192.0.2.128/25 via 192.0.2.10
check "zero delete events during the restart" test "$(grep -c '^Deleted' "$T_DIR/monitor.log")" -eq 0
check "zero changes of owned objects during the restart" \
  test "$(grep -c 'proto 116' "$T_DIR/monitor.log")" -eq 0

mv "$DLOG" "$T_DIR/driver-2.log"
drv_start --flush-on-exit
check "flush-on-exit driver stops" drv_stop
check "table empty after --flush-on-exit" test "$(nroutes 4)" -eq 0 -a "$(nroutes 6)" -eq 0 \
  -a "$(nfallback 4)" -eq 0 -a "$(nfallback 6)" -eq 0
check "no owned nexthops after --flush-on-exit" test "$(nnexthops)" -eq 0
check "no owned rules after --flush-on-exit" sh -c "! ip netns exec $TEST-gw ip rule | grep -q 'proto 116'"
# A run with more policy rules than the previous run left, plus rules of
# others carrying our protocol number: the rule reconcile must size its
# request list from the rules it dumps (heap overflow before; the ASan
# build aborts on it).
drv apply "$STATE" >"$T_DIR/rules-1.log" 2>&1
check "default rules applied" grep -q '^applied ok=1' "$T_DIR/rules-1.log"
nsx gw ip rule add priority 3000 lookup main proto 116
nsx gw ip -6 rule add priority 3000 lookup main proto 116
sed 's#^{ "table": \([0-9]*\),#{ "table": \1, "rules": [{"family": "ipv4", "priority": 2000}, {"family": "ipv6", "priority": 2000}, {"family": "ipv4", "priority": 2001}, {"family": "ipv6", "priority": 2001}],#' \
  "$STATE" >"$T_DIR/rules.json"
grep -q '"priority": 2001' "$T_DIR/rules.json" || die "the sed did not add the rules"
drv apply "$T_DIR/rules.json" >"$T_DIR/rules-2.log" 2>&1
echo $? >"$T_DIR/rules-2.rc"
check "restart with more rules: applied" grep -q '^applied ok=1' "$T_DIR/rules-2.log"
check "restart with more rules: exit 0, no sanitizer report" \
  sh -c "[ \$(cat '$T_DIR/rules-2.rc') = 0 ] && ! grep -q Sanitizer '$T_DIR/rules-2.log'"
owned_rules() { nsx gw sh -c "ip rule; ip -6 rule" | grep 'proto 116' | cut -d: -f1 | sort | tr '\n' ' '; }
check "owned rules are exactly the wanted ones" test "$(owned_rules)" = "2000 2000 2001 2001 "

# The kernel drops west's groups while no engine runs (er1, their only
# member, goes down), and the next run rejects west (er2's next hop is not
# on its connected subnet).
# West's covers are all the kernel holds for it: they must stay, so that its
# traffic stays in the blackhole instead of the main table.
v6=$(nroutes 6)
nsx gw ip link set er1 down
check "kernel dropped west's group routes" test "$(nroutes 4)" -eq 0 -a "$(nroutes 6)" -eq 0
check "the covers are left" test "$(nfallback 4)" -eq "$v4" -a "$(nfallback 6)" -eq "$v6"
sed 's/"gateway4": "198.51.100.5"/"gateway4": "198.51.100.9"/' "$T_DIR/rules.json" >"$T_DIR/reject.json"
drv apply "$T_DIR/reject.json" >"$T_DIR/reject.log" 2>&1
check "west rejected at the next start" grep -q \
  "^error site=west path=er2 .*next hop 198.51.100.9 is not on a subnet connected to er2" "$T_DIR/reject.log"
check "west's covers kept" test "$(nfallback 4)" -eq "$v4" -a "$(nfallback 6)" -eq "$v6"
check "its traffic still ends in the blackhole" \
  sh -c "ip netns exec $TEST-gw ip route get 203.0.113.1 2>&1 | grep -q 'Invalid argument'"
nsx gw ip link set er1 up
drv apply "$T_DIR/rules.json" >"$T_DIR/back.log" 2>&1
check "west back once accepted" grep -q '^applied ok=1' "$T_DIR/back.log"
check "with every group route" test "$(nroutes 4)" -eq "$v4"
finish
