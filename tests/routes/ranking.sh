#!/bin/bash
# The caller's ranking (routes_set_site_ranking): it replaces the
# priorities, a move is one request per family, equal ranks are ECMP, the
# engine's own reaction to a link going down still moves the site at once
# (to the next rank), a reload keeps the ranks, bad rankings are refused
# whole, and dropping the ranking brings the priorities back.
TEST=${TEST:-rtrank}
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 200 10 10 20
drv_start

check "by priority: er1 carries the site" ping_via 4 r1
check "ranking er2 first accepted" drv_cmd "rank west er2:1 er1:2 tunnel:3" '^ranked'
check "ranked ok" sh -c "grep '^ranked' '$DLOG' | tail -1 | grep -q 'ok=1'"
check "the move is one request per family" test "$(last_messages '^ranked')" -eq 2
check "100.64.0.7 via er2 (rank 1)" route_via 100.64.0.7 198.51.100.5
check "sensor reaches the host via er2 only" ping_via 4 r2
check "same ranking again" drv_cmd "rank west er2:1 er1:2 tunnel:3" '^ranked'
check "an unchanged ranking sends nothing" test "$(last_messages '^ranked')" -eq 0

# equal ranks: ECMP over er1 and er2
check "er1 and er2 at rank 1" drv_cmd "rank west er2:1 er1:1 tunnel:3" '^ranked'
grp=$(nhid_of 100.64.0.7)
members() { nsx gw ip nexthop show id "$grp" | grep -o 'group [0-9/,]*' | tr '/' '\n' | grep -c .; }
check "the site's IPv4 group has two members (ECMP)" test "$(members)" -eq 2

# the engine's own reaction: er2's link goes down, the site moves to rank 2
check "er2 first again" drv_cmd "rank west er2:1 er1:2 tunnel:3" '^ranked'
check "via er2" route_via 100.64.0.7 198.51.100.5
nsx gw ip link set er2 down
check "er2 down: on er1 (next rank) within 1 s" within_ms 1000 "moved to er1" route_via 100.64.0.7 198.51.100.1
check "the event says link" grep -q '^event path-down site=west path=er2 if=er2 :: interface er2 is down \[cause=link\]' "$DLOG"
nsx gw ip link set er2 up
check "er2 up: back on er2 (rank 1)" wait_for 5 "back on er2" route_via 100.64.0.7 198.51.100.5
check "sensor reaches the host via er2 only again" wait_for 5 "ping via er2" ping_via 4 r2

# the caller's verdict: er2 not usable
check "er2 ranked down" drv_cmd "rank west er2:1:down er1:2 tunnel:3" '^ranked'
check "on er1" route_via 100.64.0.7 198.51.100.1
check "a ranking is no path event" not grep -q '^event path-down site=west path=er2 .*health' "$DLOG"
check "er1 and er2 ranked down: the tunnel" drv_cmd "rank west er2:1:down er1:2:down tunnel:3" '^ranked'
check "on the tunnel device" route_dev 100.64.0.7 tun
check "a path left out carries nothing: blackhole" drv_cmd "rank west er2:1:down er1:2:down" '^ranked'
check "the site fails closed" ping_none 4
check "er2 down, er1 rank 2" drv_cmd "rank west er2:1:down er1:2 tunnel:3" '^ranked'

# a reload with er2 preferred by priority keeps the ranking (er1)
write_state 200 10 20 10
check "reload applied" drv_cmd reload '^applied'
check "the reload keeps the ranks: still er1" route_via 100.64.0.7 198.51.100.1

# refused whole, naming site and path; nothing changes
check "unknown path" drv_cmd "rank west er2:1 nosuch:2" '^ranked'
check "unknown path refused, naming site and path" grep -q "^error site=west path=- prefix=- :: site 'west' has no path 'nosuch'" "$DLOG"
check "unknown site" drv_cmd "rank nosite er1:1" '^ranked'
check "unknown site refused" grep -q "no site 'nosite' (expected a site of the applied state)" "$DLOG"
check "twice" drv_cmd "rank west er2:1 er2:2" '^ranked'
check "a path ranked twice is refused" grep -q "^error site=west path=er2 prefix=- :: site 'west': path 'er2' is ranked twice" "$DLOG"
check "a binary name is shown escaped" drv_cmd "$(printf 'rank west er\001x:1')" '^ranked'
check "escaped" grep -q "has no path 'er\\\\x01x'" "$DLOG"
check "refused rankings changed nothing: still er1" route_via 100.64.0.7 198.51.100.1

check "ranking dropped" drv_cmd "unrank west" '^ranked'
check "priorities again: er2 (priority 10)" route_via 100.64.0.7 198.51.100.5
check "sensor reaches the host via er2" ping_via 4 r2
check "driver stops" drv_stop
finish
