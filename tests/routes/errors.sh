#!/bin/bash
# Each error gives its message (naming site, path, prefix) and leaves the
# kernel unchanged: unknown interface, next hop not on a connected subnet,
# prefix overlapping another site's, a next hop the kernel refuses
# (rollback), table and protocol number used by something else.
TEST=rterrors
source "$(dirname "$0")/lib.sh"
rt_topology
write_state 100 10 10 20
drv apply "$STATE" >"$T_DIR/base.log" 2>&1
check "base state applied" grep -q '^applied ok=1' "$T_DIR/base.log"

snapshot() {
  nsx gw sh -c "ip -j route show table all; ip -6 -j route show table all; ip -j nexthop; \
                ip -j rule; ip -6 -j rule" >"$1"
}
snapshot "$T_DIR/s0"
unchanged() { snapshot "$T_DIR/s1"; cmp -s "$T_DIR/s0" "$T_DIR/s1"; }

# apply_bad SED_EXPR NAME: applies a modified state, output in $T_DIR/NAME.log
apply_bad() {
  sed "$1" "$STATE" >"$T_DIR/$2.json"
  drv apply "$T_DIR/$2.json" >"$T_DIR/$2.log" 2>&1
  echo $? >"$T_DIR/$2.rc"
}
failed() { [ "$(cat "$T_DIR/$1.rc")" = 2 ]; }

apply_bad 's/"dev": "er1"/"dev": "nosuch0"/' ifname
check "unknown interface: apply fails" failed ifname
check "unknown interface: message names site, path, interface" grep -q \
  "^error site=west path=er1 prefix=- :: site 'west' path 'er1': interface 'nosuch0' does not exist" "$T_DIR/ifname.log"
check "unknown interface: kernel unchanged" unchanged

apply_bad 's/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.9"/' gw
check "unconnected next hop: apply fails" failed gw
check "unconnected next hop: message names site, path, next hop, subnets" grep -q \
  "site 'west' path 'er1': next hop 198.51.100.9 is not on a subnet connected to er1 (expected one of: 198.51.100.0/30)" "$T_DIR/gw.log"
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

# the subnet's broadcast address passes the connected check, the kernel
# refuses it as a gateway: west fails and keeps its previous state
apply_bad 's/"gateway4": "198.51.100.1"/"gateway4": "198.51.100.3"/; s/"priority": 10/"priority": 10/' bcast
check "kernel refusal: apply fails" failed bcast
check "kernel refusal: message names site, path and the kernel's reason" grep -q \
  "^error site=west path=er1 .*kernel refused creating nexthop [0-9]* via 198.51.100.3 dev er1" "$T_DIR/bcast.log"
check "kernel refusal: previous state kept, kernel unchanged" unchanged

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
