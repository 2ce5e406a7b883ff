#!/bin/bash
# Link down/up on a path's interface: path-down at once (with the routes
# moved to the next path), path-up and restoration when the link returns.
TEST=${TEST:-rtlink}
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 500 50 10 20
drv_start
check "west on er1" route_via 100.64.1.5 198.51.100.1

nsx gw ip link set er1 down
ev_down() { grep -q '^event path-down site=west path=er1 if=er1 :: interface er1 is down' "$DLOG"; }
check "path-down event within 1 s of link down" within_ms 1000 "path-down" ev_down
check "IPv4 routes moved to er2" within_ms 1000 "moved" route_via 100.64.1.5 198.51.100.5
v6_er2() { nsx gw ip -6 route get 2001:db8:1000:3::1 | grep -q 'via 2001:db8:2::1'; }
check "IPv6 routes moved to er2" within_ms 1000 "moved" v6_er2
check "all IPv4 routes still present" test "$(nroutes 4)" -eq 501
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
check "path-down on carrier loss" within_ms 1000 "no carrier" ev_carrier
check "moved to er2 on carrier loss" within_ms 1000 "moved" route_via 100.64.1.5 198.51.100.5
nsx r1 ip link set eth0 up
check "path-up on carrier return" within_ms 2000 "carrier" sh -c "[ \$(grep -c '^event path-up site=west path=er1' $DLOG) -ge 2 ]"
check "routes back on er1 after carrier return" within_ms 1000 "back" route_via 100.64.1.5 198.51.100.1

# both gateways down: the tunnel device path takes over
nsx gw ip link set er1 down
nsx gw ip link set er2 down
check "tunnel path carries west" within_ms 1000 "tunnel" route_dev 100.64.1.5 tun
check "sensor reaches the host through the tunnel" ping_via 4 r3
check "driver stops" drv_stop
finish
