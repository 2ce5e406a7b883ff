#!/bin/bash
# Link down/up on a path's interface: path-down at once (with the routes
# moved to the next path), path-up and restoration when the link returns.
TEST=${TEST:-rtlink}
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 500 50 10 20
drv_start
check "west on er1" route_via 100.64.1.5 198.51.100.1
check "every prefix has a fail-closed cover" test "$(nfallback 4)" -eq 501 -a "$(nfallback 6)" -eq 51

# Fail closed while the engine has not acted yet: the driver is stopped,
# er1 goes down, and the kernel drops the nexthop via er1, west's groups
# (er1 was their only member) and every route using them. The main table
# has a way to the site ("internet" via r3); the blackhole covers must keep
# the sensors' traffic from taking it.
nsx gw ip route add 203.0.113.0/24 via 100.64.255.1
addr6 gw tun 2001:db8:3::2/64
addr6 r3 eth0 2001:db8:3::1/64
nsx r3 ip -6 route add 2001:db8:50::/64 via 2001:db8:3::2
nsx gw ip -6 route add 2001:db8:100::/48 via 2001:db8:3::1
check "before: the main table has a way to the site via r3" sh -c \
  "ip netns exec $TEST-gw ip route show table main 203.0.113.0/24 | grep -q 'via 100.64.255.1' &&
   ip netns exec $TEST-gw ip -6 route show table main 2001:db8:100::/48 | grep -q 'via 2001:db8:3::1'"
kill -STOP "$DRV_PID"
nsx gw ip link set er1 down
check "kernel dropped the IPv4 group route with er1" not has_route 4 203.0.113.0/24
check "kernel dropped the IPv6 group route with er1" not has_route 6 2001:db8:100::/48
only_cover() { # exactly one route: the cover, its group a blackhole
  local out
  out=$(nsx gw ip -"$1" route show table $TABLE "$2" | grep -v '^[[:space:]]')
  [ "$(printf '%s\n' "$out" | grep -c .)" = 1 ] &&
    printf '%s\n' "$out" | grep -Eq "^blackhole $2 nhid [0-9]+ (dev lo )?proto 116 metric 4096"
}
check "IPv4 prefix left with its blackhole cover" only_cover 4 203.0.113.0/24
check "IPv6 prefix left with its blackhole cover" only_cover 6 2001:db8:100::/48
dropped() { nsx gw ip -"$1" route get "$2" 2>&1 | grep -q 'Invalid argument'; }
check "IPv4 lookup ends in the blackhole, not the main table" dropped 4 203.0.113.1
check "IPv6 lookup ends in the blackhole, not the main table" dropped 6 2001:db8:100::1
check "no IPv4 echo request reaches any host" ping_none 4
check "no IPv6 echo request reaches any host" ping_none 6
kill -CONT "$DRV_PID"

ev_down() { grep -q '^event path-down site=west path=er1 if=er1 :: interface er1 is down' "$DLOG"; }
check "path-down event within 1 s of link down" within_ms 1000 "path-down" ev_down
check "IPv4 routes moved to er2" within_ms 1000 "moved" route_via 100.64.1.5 198.51.100.5
v6_er2() { nsx gw ip -6 route get 2001:db8:1000:3::1 | grep -q 'via 2001:db8:2::1'; }
check "IPv6 routes moved to er2" within_ms 1000 "moved" v6_er2
# the move was the cover groups' replacement (one request per family), the
# group and its 501 routes were rebuilt behind it
carried() {
  grep -q "site 'west' IPv4: the kernel dropped group [0-9]*; cover group [0-9]* carries" "$DLOG" &&
    grep -q "site 'west' IPv6: the kernel dropped group [0-9]*; cover group [0-9]* carries" "$DLOG"
}
check "the cover groups carried west while its groups were rebuilt" carried
check "all IPv4 routes still present" test "$(nroutes 4)" -eq 501
cover_bh() { nsx gw ip -"$1" route show table $TABLE "$2" | grep -q "^blackhole $2 nhid .*metric 4096"; }
covers_reset() { cover_bh 4 203.0.113.0/24 && cover_bh 6 2001:db8:100::/48; }
check "covers back to a blackhole once the routes are back" within_ms 1000 "covers reset" covers_reset
check "sensor reaches the host via er2" ping_via 4 r2

nsx gw ip link set er1 up
ev_up() { grep -q '^event path-up site=west path=er1 if=er1' "$DLOG"; }
check "path-up event within 1 s of link up" within_ms 1000 "path-up" ev_up
check "routes back on er1" within_ms 1000 "back" route_via 100.64.1.5 198.51.100.1
v6_er1() { nsx gw ip -6 route get 2001:db8:1000:3::1 | grep -q 'via 2001:db8:1::1'; }
check "IPv6 routes back on er1" within_ms 1000 "back" v6_er1

# carrier loss: the peer goes down
nsx r1 ip link set eth0 down
ev_carrier() { grep -q '^event path-down site=west path=er1 if=er1 :: interface er1 has no carrier' "$DLOG"; }
# the kernel's linkwatch batches carrier-off events for up to one second
# (HZ) before it announces them: the engine can only act after that
check "path-down on carrier loss" within_ms 2000 "no carrier" ev_carrier
check "moved to er2 on carrier loss" within_ms 1000 "moved" route_via 100.64.1.5 198.51.100.5
nsx r1 ip link set eth0 up
check "path-up on carrier return" within_ms 2000 "carrier" sh -c "[ \$(grep -c '^event path-up site=west path=er1' $DLOG) -ge 2 ]"
check "routes back on er1 after carrier return" within_ms 1000 "back" route_via 100.64.1.5 198.51.100.1

# both gateways down: the tunnel device path takes over
nsx gw ip link set er1 down
nsx gw ip link set er2 down
check "tunnel path carries west" within_ms 1000 "tunnel" route_dev 100.64.1.5 tun
check "sensor reaches the host through the tunnel" ping_via 4 r3
check "the kernel's own removals are not reported as tampering" \
  not grep -q 'was deleted by netlink port 0' "$DLOG"
check "driver stops" drv_stop
finish
