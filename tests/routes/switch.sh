#!/bin/bash
# Path switch: one group replacement per family moves every prefix; ip route
# get and pings from the sensor namespace show the new next hop only.
TEST=${TEST:-rtswitch}
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 2000 100 10 20
drv_start

check "sensor reaches the site host via er1 (IPv4)" ping_via 4 r1
# IPv6 addresses may still be tentative (DAD) right after setup: poll
check "sensor reaches the site host via er1 (IPv6)" wait_for 10 "IPv6 path via er1" ping_via 6 r1
samples="100.64.0.0 100.64.3.17 100.64.7.249 203.0.113.77"
for p in $samples; do check "$p via er1" route_via $p 198.51.100.1; done
check "IPv6 sample via er1" sh -c "ip netns exec $TEST-gw ip -6 route get 2001:db8:1000:42::9 | grep -q 'via 2001:db8:1::1'"

# priorities swapped: er2 is now preferred
write_state 2000 100 20 10
check "reload applied" drv_cmd reload '^applied'
check "switch of 2102 prefixes is one request per family" test "$(last_messages '^applied')" -eq 2
for p in $samples; do check "$p via er2 after switch" route_via $p 198.51.100.5; done
check "IPv6 sample via er2" sh -c "ip netns exec $TEST-gw ip -6 route get 2001:db8:1000:42::9 | grep -q 'via 2001:db8:2::1'"
check "sensor reaches the host via er2 only (IPv4)" ping_via 4 r2
check "sensor reaches the host via er2 only (IPv6)" ping_via 6 r2

# health engine: er2 down -> er1 (priority 20) takes over, single request per family
check "health down accepted" drv_cmd "health west er2 down" '^health'
check "health switch: 2 requests" test "$(last_messages '^health')" -eq 2
check "path-down event reported" grep -q '^event path-down site=west path=er2' "$DLOG"
for p in $samples; do check "$p via er1 after health switch" route_via $p 198.51.100.1; done
check "sensor reaches the host via er1 only" ping_via 4 r1

# er1 down too -> the tunnel device path (priority 30)
check "second health down" drv_cmd "health west er1 down" '^health'
check "tunnel switch: 2 requests" test "$(last_messages '^health')" -eq 2
for p in $samples; do check "$p on tun after switch" route_dev $p tun; done
check "sensor reaches the host through the tunnel device only" ping_via 4 r3
check "health up again" drv_cmd "health west er2 up" '^health'
check "back on er2" route_via 100.64.3.17 198.51.100.5
check "driver stops" drv_stop
finish
