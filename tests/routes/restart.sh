#!/bin/bash
# Restart without a flap: run, stop (routes kept), start again while ip
# monitor records: zero delete events, zero requests. Then --flush-on-exit
# withdraws everything.
TEST=rtrestrt
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
sleep 0.2 # ip monitor has no readiness signal; the marker below proves it ran
mv "$DLOG" "$T_DIR/driver-1.log"
drv_start
check "restart adopts: zero requests" grep -q '^applied ok=1 messages=0 ' "$DLOG"
check "adoption logged" grep -q "adopted $((v4 + 201)) routes and $nh nexthops" "$DLOG"
check "driver stops again" drv_stop
nsx gw ip route add 192.0.2.128/25 via 192.0.2.10
marker() { grep -q '192.0.2.128/25' "$T_DIR/monitor.log"; }
check "ip monitor was recording" wait_for 5 "monitor marker" marker
kill "$MON_PID"
check "zero delete events during the restart" test "$(grep -c '^Deleted' "$T_DIR/monitor.log")" -eq 0
check "zero changes of owned objects during the restart" \
  test "$(grep -c 'proto 116' "$T_DIR/monitor.log")" -eq 0

mv "$DLOG" "$T_DIR/driver-2.log"
drv_start --flush-on-exit
check "flush-on-exit driver stops" drv_stop
check "table empty after --flush-on-exit" test "$(nroutes 4)" -eq 0 -a "$(nroutes 6)" -eq 0
check "no owned nexthops after --flush-on-exit" test "$(nnexthops)" -eq 0
check "no owned rules after --flush-on-exit" sh -c "! ip netns exec $TEST-gw ip rule | grep -q 'proto 116'"
finish
