#!/bin/bash
# External tampering is repaired within one second and logged: a deleted
# route, a changed nexthop group, a flushed table, a deleted group, a
# deleted policy rule.
TEST=${TEST:-rttamper}
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 1000 100 10 20
drv_start
v4=$(nroutes 4)
v6=$(nroutes 6)
check "installed" test "$v4" -eq 1001 -a "$v6" -eq 101

nsx gw ip route del 100.64.1.1/32 table $TABLE
check "deleted IPv4 route restored within 1 s" within_ms 1000 "route restored" has_route 4 100.64.1.1/32
nsx gw ip -6 route del 2001:db8:1000:7::/64 table $TABLE
check "deleted IPv6 route restored within 1 s" within_ms 1000 "route restored" has_route 6 2001:db8:1000:7::/64
check "deletion logged" grep -q 'owned route 100.64.1.1/32 table 1160 was deleted by netlink port' "$DLOG"

grp=$(nhid_of 100.64.1.5)
er2=$(single_via 198.51.100.5)
nsx gw ip nexthop replace id "$grp" group "$er2" proto 116
check "changed nexthop group restored within 1 s" within_ms 1000 "group restored" route_via 100.64.1.5 198.51.100.1
check "change logged" grep -q "owned nexthop $grp was changed by netlink port" "$DLOG"

# "ip route flush" cannot delete nhid routes (iproute2 6.1 echoes the
# gateway back), so flush the table with one delete per route, as it would:
# the group routes and the covers (shown as blackholes while their cover
# group holds the blackhole nexthop)
del_lines() {
  awk -v t=$TABLE '$1 == "blackhole" {print "route del " $2 " table " t " metric 4096"; next}
                   /^[0-9a-f]/ {print "route del " $1 " table " t}'
}
{
  nsx gw ip route show table $TABLE | del_lines
  nsx gw ip -6 route show table $TABLE | del_lines
} >"$T_DIR/flush.batch"
check "flush batch has one delete per route and per cover" \
  test "$(grep -c . "$T_DIR/flush.batch")" -eq $((2 * (v4 + v6)))
# "repaired:" lines logged so far, and the routes they set
repaired_lines() { count_lines 'log warning :: repaired: '; }
routes_repaired() {
  grep 'log warning :: repaired: ' "$DLOG" | tail -n +$(($1 + 1)) |
    awk '{n += $5} END {print n + 0}'
}
rep0=$(repaired_lines)
# ip -batch stops at the first failing command with status 1: status 0
# means every route was deleted
check "IPv4 routes all deleted (ip -batch status 0)" \
  sh -c "grep -v ':' '$T_DIR/flush.batch' | ip netns exec '$TEST-gw' ip -batch -"
check "IPv6 routes all deleted (ip -batch status 0)" \
  sh -c "grep ':' '$T_DIR/flush.batch' | ip netns exec '$TEST-gw' ip -6 -batch -"
full() {
  [ "$(nroutes 4)" -eq "$v4" ] && [ "$(nroutes 6)" -eq "$v6" ] &&
    [ "$(nfallback 4)" -eq "$v4" ] && [ "$(nfallback 6)" -eq "$v6" ]
}
check "flushed table refilled within 1 s" within_ms 1000 "table refilled" full
refilled() { [ "$(routes_repaired "$rep0")" -ge $((2 * (v4 + v6))) ]; }
check "the engine's repairs set every flushed route again" wait_for 2 "repair log" refilled

rep0=$(repaired_lines)
check "group deleted (ip nexthop del status 0)" nsx gw ip nexthop del id "$grp"
check "deleted group and its routes restored within 1 s" within_ms 1000 "group restored" full
check "group repair logged" wait_for 2 "repair log" lines_gt 'log warning :: repaired: ' "$rep0"
check "group back on er1" route_via 100.64.1.5 198.51.100.1

nsx gw ip rule del pref 1160 lookup $TABLE
rule_back() { nsx gw ip rule | grep -q "^1160:.*lookup $TABLE proto 116"; }
check "deleted policy rule restored within 1 s" within_ms 1000 "rule restored" rule_back
check "repairs reported as events" grep -q '^event repaired' "$DLOG"
check "sensor still reaches the host via er1" ping_via 4 r1
check "driver stops" drv_stop
finish
