#!/bin/bash
# Each error gives its message (naming site, path, prefix) and leaves the
# kernel unchanged: next hop not on a connected subnet,
# prefix overlapping another site's, a next hop that is a subnet's
# broadcast or network address or this host's own, a next hop the kernel refuses
# (rollback) -- also for a standby path, and without deleting the failed
# site's other family -- a foreign route on a site's prefix (left untouched,
# at apply and at repair), table and protocol number used by something else.
TEST=${TEST:-rterrors}
source "$(dirname "$0")/lib.sh"
rt_topology
# next hops that pass the engine's checks but that the kernel refuses: a
# neighbour address on a connected subnet whose route lookup ends in a
# prohibit route of link scope (the kernel wants a unicast route of link
# scope to a nexthop's gateway)
nsx gw ip addr add 198.51.100.130/28 dev er1
nsx gw ip addr add 198.51.100.146/28 dev er2
nsx gw ip route add prohibit 198.51.100.131/32 scope link
nsx gw ip route add prohibit 198.51.100.147/32 scope link
write_state 100 10 10 20
drv apply "$STATE" >"$T_DIR/base.log" 2>&1
check "base state applied" grep -q '^applied ok=1' "$T_DIR/base.log"

snapshot() {
  nsx gw sh -c "ip -j route show table all; ip -6 -j route show table all; ip -j nexthop; \
                ip -j rule; ip -6 -j rule" >"$1"
}
snapshot "$T_DIR/s0"
# on a difference, the two snapshots are kept, one JSON object per line
unchanged() {
  snapshot "$T_DIR/s1"
  cmp -s "$T_DIR/s0" "$T_DIR/s1" && return 0
  local n
  n=$(find "$T_DIR" -name 'changed-*.diff' | wc -l)
  diff <(sed 's/},{/},\n{/g' "$T_DIR/s0") <(sed 's/},{/},\n{/g' "$T_DIR/s1") >"$T_DIR/changed-$n.diff"
  return 1
}

# apply_bad SED_EXPR NAME: applies a modified state, output in $T_DIR/NAME.log
apply_bad() {
  sed "$1" "$STATE" >"$T_DIR/$2.json"
  drv apply "$T_DIR/$2.json" >"$T_DIR/$2.log" 2>&1
  echo $? >"$T_DIR/$2.rc"
}
failed() { [ "$(cat "$T_DIR/$1.rc")" = 2 ]; }

# an interface that does not exist (yet) is no error: the path is unusable
# until it appears, and the site goes on with its other paths (er2)
apply_bad 's/"dev": "er1"/"dev": "nosuch0"/' ifname
check "unknown interface: the apply succeeds" grep -q '^applied ok=1 .*sites_failed=0' "$T_DIR/ifname.log"
check "unknown interface: the path-down event names site, path, interface" grep -q \
  "^event path-down site=west path=er1 if=nosuch0 :: interface nosuch0 does not exist" "$T_DIR/ifname.log"
check "unknown interface: west is carried by er2" route_via 203.0.113.1 198.51.100.5
drv apply "$STATE" >"$T_DIR/base2.log" 2>&1
grep -q '^applied ok=1' "$T_DIR/base2.log" || die "base state not applied again: $(cat "$T_DIR/base2.log")"
snapshot "$T_DIR/s0"

apply_bad 's/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.9"/' gw
check "unconnected next hop: apply fails" failed gw
check "unconnected next hop: message names site, path, next hop, subnets" grep -q \
  "site 'west' path 'er1': next hop 198.51.100.9 is not on a subnet connected to er1 (expected one of: 198.51.100.0/30, 198.51.100.128/28)" "$T_DIR/gw.log"
check "unconnected next hop: kernel unchanged" unchanged

apply_bad 's#"gateway6": "2001:db8:1::1"#"gateway6": "2001:db8:9::1"#' gw6
check "unconnected IPv6 next hop: message" grep -q \
  "next hop 2001:db8:9::1 is not on a subnet connected to er1" "$T_DIR/gw6.log"
check "unconnected IPv6 next hop: kernel unchanged" unchanged

# a second site claiming part of west's 203.0.113.0/24
apply_bad 's#^  \]$#  ,{"name": "north", "prefixes": ["192.0.2.128/26", "203.0.113.128/25"], "paths": [{"name": "er2", "dev": "er2", "gateway4": "198.51.100.5"}]}\n  ]#' overlap
check "overlap: apply fails" failed overlap
check "overlap: message names both sites and prefixes" grep -q \
  "^error site=north path=- prefix=203.0.113.128/25 :: site 'north' prefix 203.0.113.128/25 overlaps prefix 203.0.113.0/24 of site 'west'" "$T_DIR/overlap.log"
check "overlap: kernel unchanged (north not applied, west as before)" unchanged

# the subnet's broadcast and network addresses, and an address of this
# host, are no next hops: refused before any request, naming what they are
apply_bad 's/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.3"/' bcast
check "broadcast next hop: apply fails" failed bcast
check "broadcast next hop: named before any request" grep -q \
  "^error site=west path=er1 .*next hop 198.51.100.3 is the broadcast address of 198.51.100.0/30 on er1, not a host" "$T_DIR/bcast.log"
check "broadcast next hop: kernel unchanged" unchanged
apply_bad 's/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.128"/' netaddr
check "network address as next hop: named" grep -q \
  "next hop 198.51.100.128 is the network address of 198.51.100.128/28 on er1, not a host" "$T_DIR/netaddr.log"
apply_bad 's/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.130"/' ownaddr
check "this host's address as next hop: named" grep -q \
  "next hop 198.51.100.130 is an address of this host (on er1), not a neighbour's" "$T_DIR/ownaddr.log"
apply_bad 's#"gateway6": "2001:db8:1::1"#"gateway6": "2001:db8:1::2"#' ownaddr6
check "this host's IPv6 address as next hop: named" grep -q \
  "next hop 2001:db8:1::2 is an address of this host (on er1)" "$T_DIR/ownaddr6.log"
check "refused next hops: kernel unchanged" unchanged

# a next hop the kernel refuses after the checks passed (its route lookup
# ends in a prohibit route): west fails and keeps its previous state
apply_bad 's/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.131"/' refused
check "kernel refusal: apply fails" failed refused
check "kernel refusal: message names site, path and the kernel's reason" grep -q \
  "^error site=west path=er1 .*kernel refused creating nexthop [0-9]* via 198.51.100.131 dev er1" "$T_DIR/refused.log"
check "kernel refusal: previous state kept, kernel unchanged" unchanged

# west drops its IPv6 prefixes and gets an IPv4 gateway the kernel refuses:
# west fails, and the family it did not touch (its IPv6 group, routes and
# nexthops) must not be deleted either (no flap, nothing lost)
# mon_start NAME: "ip monitor route nexthop" into $T_DIR/NAME.log, proven
# to be recording (a marker route it must see) before the caller goes on;
# mon_stop NAME; mon_deleted NAME: its Deleted events, the marker's aside
mon_start() {
  spawn "$T_DIR/$1.log" ip -n "$TEST-gw" monitor route nexthop
  MON_PID=$LAST_PID
  local i
  for i in $(seq 50); do
    nsx gw ip route add 192.0.2.128/25 via 192.0.2.10 table 1170
    grep -q '192.0.2.128/25' "$T_DIR/$1.log" && break
    nsx gw ip route del 192.0.2.128/25 via 192.0.2.10 table 1170
    sleep 0.1
  done
  grep -q '192.0.2.128/25' "$T_DIR/$1.log" || die "ip monitor never recorded the marker"
  nsx gw ip route del 192.0.2.128/25 via 192.0.2.10 table 1170
}
mon_stop() { kill "$MON_PID"; wait "$MON_PID" 2>/dev/null; }
mon_deleted() { grep '^Deleted' "$T_DIR/$1.log" | grep -vc '192.0.2.128/25'; }

mon_start flap-mon
v6=$(nroutes 6)
apply_bad 's#,\? *"2001:db8:[0-9a-f:]*/[0-9]*"##g; s/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.131"/' flap
grep -q '2001:db8:100::/48' "$T_DIR/flap.json" && die "flap: the sed left IPv6 prefixes in the state"
check "flap: apply fails" failed flap
check "flap: error names west and path er1" grep -q \
  "^error site=west path=er1 .*kernel refused creating nexthop [0-9]* via 198.51.100.131 dev er1" "$T_DIR/flap.log"
check "flap: west's IPv6 routes remain" test "$(nroutes 6)" -eq "$v6" -a "$v6" -gt 0
check "flap: kernel unchanged" unchanged
mon_stop flap-mon
check "flap: zero Deleted events" test "$(mon_deleted flap-mon)" -eq 0

# the same as a reload of a running engine: the failed site is rolled back
# to its previous state without deleting (and re-adding) its IPv6 objects
cp "$STATE" "$T_DIR/good.json"
drv_start
mon_start flap2-mon
cp "$T_DIR/flap.json" "$STATE"
drv_cmd reload '^applied'
check "flap on reload: west failed" sh -c "grep '^applied' '$DLOG' | tail -1 | grep -q 'sites_failed=1'"
check "flap on reload: west rolled back" grep -q "site 'west': restoring its previous state" "$DLOG"
check "flap on reload: west's IPv6 routes remain" test "$(nroutes 6)" -eq "$v6"
check "flap on reload: kernel unchanged" unchanged
mon_stop flap2-mon
check "flap on reload: zero Deleted events" test "$(mon_deleted flap2-mon)" -eq 0
check "driver stops" drv_stop
cp "$T_DIR/good.json" "$STATE"

# a standby path (er2, not in the group) whose gateway the kernel refuses
# (its route lookup ends in a prohibit route): the error names the site and the path
# and the site fails
apply_bad 's/"gateway4": "198.51.100.5"/"gateway4": "198.51.100.147"/' standby
check "refused standby: apply fails" failed standby
check "refused standby: message names site and path" grep -q \
  "^error site=west path=er2 .*kernel refused creating nexthop [0-9]* via 198.51.100.147 dev er2" "$T_DIR/standby.log"
check "refused standby: the site counts as failed" grep -q '^applied ok=0 .*sites_applied=0 sites_failed=1' "$T_DIR/standby.log"
check "refused standby: kernel unchanged" unchanged

# a route of someone else's (another protocol) in our table for a prefix a
# site is about to get: it is never overwritten; the site fails with a
# collision naming site and prefix, and nothing else changes
drv_start
nsx gw ip route add 100.64.77.0/24 dev sen table $TABLE proto static
# (ip prints a /32 without its length)
foreign_there() {
  nsx gw ip route show table $TABLE "$1" | grep -q "^${1%/32} dev sen proto static"
}
snapshot "$T_DIR/s0"
sed 's#"203.0.113.0/24",#"203.0.113.0/24", "100.64.77.0/24",#' "$T_DIR/good.json" >"$STATE"
grep -q '100.64.77.0/24' "$STATE" || die "collision: the sed did not add the prefix"
drv_cmd reload '^applied'
check "collision: west failed" sh -c "grep '^applied' '$DLOG' | tail -1 | grep -q 'ok=0 .*sites_failed=1'"
check "collision: error names site and prefix" grep -q \
  "^error site=west path=- prefix=100.64.77.0/24 :: site 'west' prefix 100.64.77.0/24 collides with a route in table $TABLE not made by tunneld" "$DLOG"
check "collision: foreign route untouched" foreign_there 100.64.77.0/24
check "collision: kernel unchanged" unchanged
nsx gw ip route del 100.64.77.0/24 table $TABLE
# someone replaces an owned route with one of theirs: the repair must not
# take it back (it reports the collision), and restores ours once theirs
# is gone
cp "$T_DIR/good.json" "$STATE"
drv_cmd reload '^applied'
check "takeover: state applied" sh -c "grep '^applied' '$DLOG' | tail -1 | grep -q 'ok=1'"
nsx gw ip route replace 100.64.0.7/32 dev sen table $TABLE proto static
takeovers() { grep -c "site 'west' prefix 100.64.0.7/32 collides with a route in table" "$DLOG"; }
takeover_logged() { [ "$(takeovers)" -ge "$1" ]; }
check "takeover: the repair reports the collision" wait_for 5 "collision log" takeover_logged 1
# the repair is retried (after 1 s): the second report proves it ran again
check "takeover: the retried repair reports it again" wait_for 5 "second collision log" takeover_logged 2
check "takeover: foreign route untouched by the repairs" foreign_there 100.64.0.7/32
nsx gw ip route del 100.64.0.7/32 table $TABLE
owned_back() { nsx gw ip route show table $TABLE 100.64.0.7/32 | grep -q 'nhid .* proto 116'; }
check "takeover: owned route restored once the foreign one is gone" wait_for 10 "route back" owned_back
check "driver stops" drv_stop

nsx gw ip route add 192.0.2.200/32 dev sen table $TABLE proto static
snapshot "$T_DIR/s0"
drv open >"$T_DIR/table.log" 2>&1
check "table in use: open fails with the table, count and example" grep -q \
  "^open-error :: table $TABLE is already used by something else: 1 route(s) not made by tunneld, e.g. 192.0.2.200/32 proto 4" "$T_DIR/table.log"
check "table in use: kernel unchanged" unchanged
nsx gw ip route del 192.0.2.200/32 table $TABLE

nsx gw ip -6 route add 2001:db8:77::/64 dev sen proto 116
snapshot "$T_DIR/s0"
drv open >"$T_DIR/proto.log" 2>&1
check "protocol in use: open fails naming the route and table" grep -q \
  "^open-error :: protocol number 116 is already used by something else: 1 route(s) in other tables, e.g. 2001:db8:77::/64 table 254" "$T_DIR/proto.log"
check "protocol in use: kernel unchanged" unchanged
finish
