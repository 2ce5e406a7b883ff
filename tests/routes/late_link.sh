#!/bin/bash
# A path whose interface does not exist yet when the state is applied (a
# tunnel device made later, a NIC hot-plugged): the site fails closed at
# once (its group holds the blackhole, its covers are there), although the
# main table has a way to the site, and the path is applied as soon as the
# interface appears and is usable (the engine's link and address
# notifications), without another apply.
TEST=${TEST:-rtlate}
source "$(dirname "$0")/lib.sh"
rt_topology
cat >"$STATE" <<JSON
{ "table": $TABLE,
  "sites": [
    {"name": "west", "prefixes": ["203.0.113.0/24", "2001:db8:100::/48"],
     "paths": [{"name": "late", "dev": "er3", "gateway4": "198.51.100.9", "gateway6": "2001:db8:9::1", "priority": 10}]}
  ]
}
JSON
# the main table would carry the site's traffic to r3 (the "internet")
nsx gw ip route add 203.0.113.0/24 via 100.64.255.1
addr6 gw tun 2001:db8:3::2/64
addr6 r3 eth0 2001:db8:3::1/64
nsx r3 ip -6 route add 2001:db8:50::/64 via 2001:db8:3::2
nsx gw ip -6 route add 2001:db8:100::/48 via 2001:db8:3::1
nsx gw ip link show er3 >/dev/null 2>&1 && die "er3 exists before the test made it"

drv_start
check "the apply succeeds: a missing interface is not an error of the site" \
  grep -q '^applied ok=1 .*sites_applied=1 sites_failed=0' "$DLOG"
check "path-down event names the missing interface" grep -q \
  '^event path-down site=west path=late if=er3 :: interface er3 does not exist' "$DLOG"
check "IPv4: the site has its group route and its cover" \
  sh -c "ip -n $TEST-gw -4 route show table $TABLE 203.0.113.0/24 | grep -c nhid | grep -qx 2"
dropped() { nsx gw ip -"$1" route get "$2" 2>&1 | grep -q 'Invalid argument'; }
check "IPv4 lookup ends in the blackhole, not the main table" dropped 4 203.0.113.1
check "IPv6 lookup ends in the blackhole, not the main table" dropped 6 2001:db8:100::1
check "no IPv4 echo request reaches any host" ping_none 4
check "no IPv6 echo request reaches any host" ping_none 6

# the interface appears (down first, then addresses, then up)
ip -n "$TEST-gw" link add er3 type veth peer name eth1 netns "$TEST-r1" || die "veth er3"
nsx gw ip addr add 198.51.100.10/30 dev er3
nsx r1 ip addr add 198.51.100.9/30 dev eth1
addr6 gw er3 2001:db8:9::2/64
addr6 r1 eth1 2001:db8:9::1/64
nsx r1 ip link set eth1 up
nsx gw ip link set er3 up
ev_up() { grep -q '^event path-up site=west path=late if=er3' "$DLOG"; }
check "path-up once the interface is up" within_ms 2000 "path-up" ev_up
check "IPv4 routes via the new interface" within_ms 1000 "applied" route_via 203.0.113.1 198.51.100.9
v6_er3() { nsx gw ip -6 route get 2001:db8:100::1 | grep -q 'via 2001:db8:9::1'; }
check "IPv6 routes via the new interface" within_ms 1000 "applied" v6_er3
check "sensor reaches the host via the new path (r1)" ping_via 4 r1
check "driver stops" drv_stop
finish
