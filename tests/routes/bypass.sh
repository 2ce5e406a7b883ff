#!/bin/bash
# The VPN peers' own addresses never resolve through the engine's table:
# each is a "throw" route of protocol 116 in table 1160, so a lookup falls
# through to the main table even when a site's prefix contains the address.
# The throw routes are adopted on restart (zero requests), repaired when
# someone deletes one, follow the state (removed when no longer wanted),
# and a site prefix equal to a bypass address is refused.
TEST=${TEST:-rtbypass}
source "$(dirname "$0")/lib.sh"
rt_topology
# west's 203.0.113.0/24 contains 203.0.113.1, "a peer" reached through the
# main table (r3); west itself goes via er1
nsx gw ip route add 203.0.113.1/32 via 100.64.255.1
write_state 0 0 10 20
sed 's#^{ "table": \([0-9]*\),#{ "table": \1, "bypass": ["203.0.113.1", "2001:db8:100::1"],#' \
  "$STATE" >"$T_DIR/bypass.json"
grep -q '"bypass"' "$T_DIR/bypass.json" || die "the sed did not add the bypass"
cp "$T_DIR/bypass.json" "$STATE"
throw_there() { nsx gw ip -"$1" route show table $TABLE type throw proto 116 | grep -q "^throw $2 "; }
drv_start
check "IPv4 throw route for the peer in table $TABLE" throw_there 4 203.0.113.1
check "IPv6 throw route for the peer in table $TABLE" throw_there 6 2001:db8:100::1
check "the peer's address resolves through the main table (r3)" route_via 203.0.113.1 100.64.255.1
check "the rest of the site still goes via er1" route_via 203.0.113.2 198.51.100.1
check "a ping to the peer's address reaches r3" ping_via 4 r3

# tampering: the repair puts it back
nsx gw ip route del throw 203.0.113.1/32 table $TABLE proto 116 || die "throw route not deleted"
check "deleted throw route repaired" within_ms 1000 "throw back" throw_there 4 203.0.113.1
check "the repair is logged as such" grep -q "owned throw route 203.0.113.1/32 table $TABLE was deleted" "$DLOG"
check "driver stops" drv_stop

# restart: adopted, nothing sent
drv apply "$STATE" >"$T_DIR/again.log" 2>&1
check "restart adopts the throw routes: zero requests" grep -q '^applied ok=1 messages=0 ' "$T_DIR/again.log"

# no longer wanted: removed
write_state 0 0 10 20
drv apply "$STATE" >"$T_DIR/gone.log" 2>&1
check "throw routes removed with the bypass" sh -c "! ip -n $TEST-gw route show table $TABLE type throw | grep -q . && ! ip -n $TEST-gw -6 route show table $TABLE type throw | grep -q ."
check "the site stays" route_via 203.0.113.2 198.51.100.1

# a site prefix that is the bypass address itself is refused
sed 's#"203.0.113.0/24",#"203.0.113.0/24", "100.64.7.7/32",#; s#^{ "table": \([0-9]*\),#{ "table": \1, "bypass": ["100.64.7.7"],#' \
  "$STATE" >"$T_DIR/equal.json"
drv apply "$T_DIR/equal.json" >"$T_DIR/equal.log" 2>&1
check "a site prefix equal to a peer's address is refused" grep -q \
  "^error site=west path=- prefix=100.64.7.7/32 :: site 'west' prefix 100.64.7.7/32 is the address of a VPN peer" "$T_DIR/equal.log"
check "the throw route is there even so" throw_there 4 100.64.7.7
finish
