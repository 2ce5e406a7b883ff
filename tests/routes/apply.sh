#!/bin/bash
# Apply / diff / idempotence: install two sites (v4 + v6), re-apply the same
# state (zero requests), change prefixes (exact diff), remove a site.
TEST=${TEST:-rtapply}
source "$(dirname "$0")/lib.sh"
rt_topology

write_state 1000 200 10 20 200
drv apply "$STATE" >"$T_DIR/a1.log" 2>&1
check "first apply succeeds" grep -q '^applied ok=1' "$T_DIR/a1.log"
# west: 203.0.113.0/24 + 1000 hosts; east: 198.51.100.128/25 + 200 hosts
check "1202 IPv4 routes in table $TABLE" test "$(nroutes 4)" -eq 1202
# west: 2001:db8:100::/48 + 200 nets; east: 2001:db8:2000::/48
check "202 IPv6 routes in table $TABLE" test "$(nroutes 6)" -eq 202
check "every prefix has its fail-closed cover" \
  test "$(nfallback 4)" -eq 1202 -a "$(nfallback 6)" -eq 202
# singles: er1 v4/v6, er2 v4/v6, tun v4/v6, blackhole v4/v6; 4 groups and
# 4 cover groups (each site and family)
check "16 owned nexthop objects" test "$(nnexthops)" -eq 16
check "policy rules installed" sh -c "ip netns exec $TEST-gw ip rule | grep -q 'lookup $TABLE proto 116'"
check "prefixes point at their site's group" sh -c \
  "ip netns exec $TEST-gw ip route show table $TABLE 100.64.1.5 | grep -q nhid"
check "west prefix via er1" route_via 100.64.1.5 198.51.100.1
check "east prefix via er2" route_via 100.65.0.7 198.51.100.5
check "nothing in the main table" sh -c "! ip netns exec $TEST-gw ip route show table main proto 116 | grep -q ."

drv apply "$STATE" >"$T_DIR/a2.log" 2>&1
check "second apply of the same state sends zero messages" grep -q '^applied ok=1 messages=0 ' "$T_DIR/a2.log"

# west loses 100 hosts and 50 v6 nets (1000->900, 200->150)
write_state 900 150 10 20 200
drv apply "$STATE" >"$T_DIR/a3.log" 2>&1
# each prefix is a group route and its blackhole cover
check "diff deletes exactly 150 prefixes and sets none" \
  grep -q 'messages=300 routes_set=0 routes_deleted=300 ' "$T_DIR/a3.log"
check "1102 IPv4 routes left" test "$(nroutes 4)" -eq 1102
check "152 IPv6 routes left" test "$(nroutes 6)" -eq 152
check "their covers went with them" test "$(nfallback 4)" -eq 1102 -a "$(nfallback 6)" -eq 152

# west grows again by 30 hosts: 60 messages (route + cover)
write_state 930 150 10 20 200
drv apply "$STATE" >"$T_DIR/a4.log" 2>&1
check "diff adds exactly 30 prefixes" grep -q 'messages=60 routes_set=60 routes_deleted=0 ' "$T_DIR/a4.log"

# east removed: its two groups go, with all their routes
write_state 930 150 10 20 0
drv apply "$STATE" >"$T_DIR/a5.log" 2>&1
check "site removal applied" grep -q '^applied ok=1' "$T_DIR/a5.log"
check "only west's 931 IPv4 routes remain" test "$(nroutes 4)" -eq 931
check "only west's 151 IPv6 routes remain" test "$(nroutes 6)" -eq 151
check "and their covers" test "$(nfallback 4)" -eq 931 -a "$(nfallback 6)" -eq 151
# east's 202 group routes go with its two groups, its 202 covers with its
# two cover groups: one request each
check "site removal costs four requests, not one per prefix" \
  sh -c "m=\$(grep -o 'messages=[0-9]*' $T_DIR/a5.log | cut -d= -f2); [ \$m -eq 4 ]"
drv apply "$STATE" >"$T_DIR/a6.log" 2>&1
check "idempotent after removal" grep -q '^applied ok=1 messages=0 ' "$T_DIR/a6.log"
finish
