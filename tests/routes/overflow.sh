#!/bin/bash
# Notification overflow: with a small monitor receive buffer and the engine
# stopped, a burst of someone else's route changes overflows the monitor
# socket (ENOBUFS), and the deletion of an owned route made after the burst
# is among the notifications the kernel dropped. The engine must notice the
# overflow, resynchronise with a full dump and repair the route; without
# the resync nothing would tell it the route is gone.
TEST=${TEST:-rtovflow}
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 200 20 10 20
# 4 KiB (the kernel doubles it): a few dozen notifications fit
sed -i 's/^{ "table": \([0-9]*\),/{ "table": \1, "monitor_rcvbuf": 4096,/' "$STATE"
grep -q '"monitor_rcvbuf": 4096' "$STATE" || die "the sed did not set monitor_rcvbuf"
drv_start
check "installed" test "$(nroutes 4)" -eq 201
check "no overflow so far" not grep -q 'notification overflow' "$DLOG"

kill -STOP "$DRV_PID"
# 3000 routes of another protocol in another table: 3000 notifications
for i in $(seq 0 2999); do
  echo "route add 192.0.2.$((i % 250))/32 dev sen table 300$((i / 250 + 10)) proto static"
done >"$T_DIR/burst.batch"
nsx gw ip -batch "$T_DIR/burst.batch" || die "burst of foreign routes not added"
nsx gw ip route del 100.64.0.9/32 table $TABLE || die "owned route not deleted"
has_route 4 100.64.0.9/32 && die "the group route of 100.64.0.9/32 is still there"
kill -CONT "$DRV_PID"

ovf() { grep -q 'log warning :: notification overflow (ENOBUFS): resynchronising with a full dump' "$DLOG"; }
check "overflow noticed and logged" wait_for 5 "overflow log" ovf
check "resync reported as an event" wait_for 5 "resync event" grep -q '^event resync' "$DLOG"
check "deleted route restored within 1 s of the engine running again" \
  within_ms 1000 "route restored" has_route 4 100.64.0.9/32
check "all routes and covers there" test "$(nroutes 4)" -eq 201 -a "$(nfallback 4)" -eq 201
# the resync found the one missing route: the repair re-added it alone
check "the repair set exactly the missing route" grep -q \
  'log warning :: repaired: 1 route(s) set, 0 deleted, 0 nexthop(s) added, 0 group(s) changed' "$DLOG"
drv_cmd stats '^stats'
check "the engine counts a resync after open" sh -c "grep '^stats' '$DLOG' | tail -1 | grep -Eq 'resyncs=[1-9]'"
check "foreign routes left alone" \
  test "$(nsx gw ip route show table all proto static | grep -c '^192.0.2')" -eq 3000
check "sensor reaches the host via er1" ping_via 4 r1
check "driver stops" drv_stop
finish
