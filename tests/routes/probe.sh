#!/bin/bash
# Probe pinning: a probe marked with a path's fwmark (ping -m, SO_MARK)
# leaves through that path whichever path carries the site: r1, r2 and r3
# all hold 203.0.113.1 and 2001:db8:100::1 and count the echo requests they
# get, so the counters show the link a probe took. Probe routes survive a
# site failover, fail closed when their path cannot carry them, are
# repaired after tampering, adopted on restart, removed with flush_on_exit;
# routes of others in the probe tables refuse the start.
TEST=${TEST:-rtprobe}
source "$(dirname "$0")/lib.sh"
rt_topology

# write_probe_state [ER2_PROBES] [EXTRA_TOP_LEVEL]
write_probe_state() {
  local p2=${1-'"203.0.113.1", "2001:db8:100::1"'} top=${2:-}
  cat >"$STATE.tmp" <<JSON
{ "table": $TABLE $top,
  "sites": [
    {"name": "west",
     "prefixes": ["203.0.113.0/24", "2001:db8:100::/48", $(v4_hosts 64 20)],
     "paths": [
       {"name": "er1", "dev": "er1", "gateway4": "198.51.100.1", "gateway6": "2001:db8:1::1",
        "priority": 10, "probe": ["203.0.113.1", "2001:db8:100::1"]},
       {"name": "er2", "dev": "er2", "gateway4": "198.51.100.5", "gateway6": "2001:db8:2::1",
        "priority": 20, "probe": [$p2]},
       {"name": "tunnel", "dev": "tun", "priority": 30, "probe": ["203.0.113.1"]}]}
  ]
}
JSON
  mv "$STATE.tmp" "$STATE"
}

# probe_via FAM MARK NS: one marked ping from the gateway reaches NS only
probe_via() {
  local fam=$1 mark=$2 want=$3 dst=203.0.113.1 r before=() i=0 ok=0 replied=0
  [ "$fam" = 6 ] && dst=2001:db8:100::1
  for r in r1 r2 r3; do before+=("$(echo_count $r "$fam")"); done
  for _ in 1 2 3; do
    if nsx gw ping -"$fam" -m "$mark" -c 1 -W 2 -q "$dst" >/dev/null 2>&1; then replied=1; break; fi
  done
  [ $replied = 1 ] || return 1
  for r in r1 r2 r3; do
    local d=$(($(echo_count $r "$fam") - before[i]))
    if [ "$r" = "$want" ]; then [ "$d" -ge 1 ] && ok=1; else [ "$d" -eq 0 ] || return 1; fi
    i=$((i + 1))
  done
  [ $ok = 1 ]
}
# probe_nowhere FAM MARK: a marked ping gets no answer and reaches no router
probe_nowhere() {
  local fam=$1 mark=$2 dst=203.0.113.1 r before=() i=0
  [ "$fam" = 6 ] && dst=2001:db8:100::1
  for r in r1 r2 r3; do before+=("$(echo_count $r "$fam")"); done
  nsx gw ping -"$fam" -m "$mark" -c 1 -W 1 -q "$dst" >/dev/null 2>&1 && return 1
  for r in r1 r2 r3; do
    [ "$(echo_count $r "$fam")" -eq "${before[i]}" ] || return 1
    i=$((i + 1))
  done
}
mark_of() {
  drv_cmd "mark west $1" '^mark ' >/dev/null || return 1
  last_line "^mark site=west path=$1 " | grep -o 'mark=[0-9]*' | cut -d= -f2
}
# the probe table a mark leads to (its IPv4 rule)
table_of() { nsx gw ip rule show | grep "fwmark $(printf '0x%x' "$1") lookup" | head -1 | grep -o 'lookup [0-9]*' | cut -d' ' -f2; }

write_probe_state
drv_start
m1=$(mark_of er1)
m2=$(mark_of er2)
m3=$(mark_of tunnel)
log "probe marks: er1 $m1, er2 $m2, tunnel $m3"
check "every probed path has a mark of its own" sh -c "[ '$m1' -gt 0 ] && [ '$m2' -gt 0 ] && [ '$m3' -gt 0 ] && [ '$m1' != '$m2' ] && [ '$m2' != '$m3' ] && [ '$m1' != '$m3' ]"
check "marks from probe_mark_base (0x11600000)" test "$m1" -ge $((0x11600000)) -a "$m1" -lt $((0x11600000 + 256))
check "an unknown path has no mark" sh -c "[ \"\$(last_line '^mark' >/dev/null; echo)\" = '' ]; true"
drv_cmd "mark west nosuch" '^mark site=west path=nosuch'
check "an unknown path has mark 0" grep -q '^mark site=west path=nosuch mark=0$' "$DLOG"
t2=$(table_of "$m2")
log "er2's probe table: $t2"
check "er2's probes look up a table of their own from probe_table_base (11600)" test "${t2:-0}" -ge 11600 -a "${t2:-0}" -lt 11856
check "the probe rule is at probe_rule_priority 1159, before the engine's 1160" \
  sh -c "ip -n $TEST-gw rule show | grep -q '^1159:.*fwmark $(printf '0x%x' "$m2") lookup $t2 proto 116'"
check "IPv6 probe rule too" sh -c "ip -n $TEST-gw -6 rule show | grep -q '^1159:.*fwmark $(printf '0x%x' "$m2") lookup $t2 proto 116'"
check "the tunnel path has no IPv6 probe rule (no IPv6 target)" \
  not sh -c "ip -n $TEST-gw -6 rule show | grep -q 'fwmark $(printf '0x%x' "$m3") '"

check "the site's traffic is on er1" ping_via 4 r1
check "unmarked traffic of the gateway follows the site (er1)" route_via 203.0.113.1 198.51.100.1
check "a probe of standby er2 leaves through er2 (IPv4)" probe_via 4 "$m2" r2
check "a probe of er1 to the same address leaves through er1" probe_via 4 "$m1" r1
check "a probe of the tunnel path leaves through the tunnel device" probe_via 4 "$m3" r3
check "a probe of standby er2 leaves through er2 (IPv6)" wait_for 10 "IPv6 probe via er2" probe_via 6 "$m2" r2
check "a probe of er1 leaves through er1 (IPv6)" probe_via 6 "$m1" r1
check "the kernel agrees: mark of er2 -> 198.51.100.5" \
  sh -c "ip -n $TEST-gw route get 203.0.113.1 mark $m2 | grep -q 'via 198.51.100.5 dev er2'"

# failover: the site moves to er2, the probes of er1 still go through er1
check "health er1 down" drv_cmd "health west er1 down" '^health'
check "the move is still one request per family (probe routes untouched)" test "$(last_messages '^health')" -eq 2
check "the site's traffic is on er2" ping_via 4 r2
check "after the failover a probe of er1 still leaves through er1" probe_via 4 "$m1" r1
check "and a probe of er2 through er2" probe_via 4 "$m2" r2
check "health er1 up" drv_cmd "health west er1 up" '^health'

# er1's link goes down: its probes fail closed (never through er2/tunnel)
nsx gw ip link set er1 down
check "er1 down: the site on er2" wait_for 5 "site on er2" route_via 100.64.0.3 198.51.100.5
check "a probe of er1 fails and reaches no router (fail closed)" probe_nowhere 4 "$m1"
check "IPv6 too" probe_nowhere 6 "$m1"
nsx gw ip link set er1 up
check "er1 up: its probe routes are back" wait_for 10 "probe via er1" probe_via 4 "$m1" r1

# tampering: a deleted probe route, a changed one, a deleted probe rule
t1=$(table_of "$m1")
nsx gw ip route del 203.0.113.1/32 table "$t2" metric 10
has_probe_route() { nsx gw ip route show table "$t2" 203.0.113.1/32 | grep -q 'via 198.51.100.5 dev er2'; }
check "a deleted probe route is restored within 1 s" within_ms 1000 "probe route restored" has_probe_route
check "the deletion is logged" grep -q "owned probe route 203.0.113.1/32 via 198.51.100.5 dev er2 table $t2 metric 10 was deleted by netlink port" "$DLOG"
nsx gw ip route replace 203.0.113.1/32 table "$t2" metric 10 via 198.51.100.1 dev er1 proto 116
check "a changed probe route is restored within 1 s" within_ms 1000 "probe route restored" has_probe_route
check "a probe of er2 leaves through er2 again" probe_via 4 "$m2" r2
nsx gw ip route del default table "$t2" metric 4096
has_cover() { nsx gw ip route show table "$t2" | grep -q '^unreachable default .*metric 4096'; }
check "a deleted unreachable default is restored within 1 s" within_ms 1000 "unreachable default back" has_cover
nsx gw ip rule del pref 1159 fwmark "$m2" lookup "$t2"
rule_back() { nsx gw ip rule show | grep -q "^1159:.*fwmark $(printf '0x%x' "$m2") lookup $t2 proto 116"; }
check "a deleted probe rule is restored within 1 s" within_ms 1000 "probe rule back" rule_back

# a reload without er2's probes: its rules and table go, er1 keeps its mark
write_probe_state ""
check "reload applied" drv_cmd reload '^applied'
check "er2 has no probe mark any more" test "$(mark_of er2)" = 0
check "er1 keeps its mark" test "$(mark_of er1)" = "$m1"
check "er2's probe rule is gone" not rule_back
check "er2's probe table is empty" test -z "$(nsx gw ip route show table "$t2")"
write_probe_state
check "reload with er2's probes again" drv_cmd reload '^applied'
m2=$(mark_of er2)
check "probes of er2 pinned again" probe_via 4 "$m2" r2

# restart: adopted, nothing sent
check "driver stops (keeps everything)" drv_stop
check "probe rules kept after the stop" rule_back
drv_start
check "a restart adopts the probe routes and rules: the apply sends nothing" test "$(last_messages '^applied')" -eq 0
check "same marks after the restart" test "$(mark_of er1)" = "$m1" -a "$(mark_of er2)" = "$m2"
check "probes pinned after the restart" probe_via 4 "$m2" r2
check "driver stops" drv_stop

# flush_on_exit removes them
drv_start --flush-on-exit
check "driver with flush_on_exit stops" drv_stop
check "no probe rule left (IPv4)" not sh -c "ip -n $TEST-gw rule show | grep -q 'fwmark .* proto 116'"
check "no probe rule left (IPv6)" not sh -c "ip -n $TEST-gw -6 rule show | grep -q 'fwmark .* proto 116'"
check "probe tables empty" test -z "$(nsx gw ip route show table "$t1")$(nsx gw ip -6 route show table "$t2")"

# a route of others in a probe table: the start is refused, naming it
nsx gw ip route add 198.51.100.200/32 dev er1 table 11605
check "open refused" not drv apply "$STATE"
check "the refusal names the probe table" sh -c "ip netns exec $TEST-gw $ROUTES_DRIVER apply $STATE | grep -q 'open-error :: probe table 11605 (probe_table_base 11600 + 5) is already used by something else: 1 route(s) not made by tunneld, e.g. 198.51.100.200/32 dev er1 table 11605'"
nsx gw ip route del 198.51.100.200/32 dev er1 table 11605

# bad options and targets, each refused naming what is wrong
write_probe_state '"203.0.113.1"' ', "probe_rule_priority": 1160'
check "probe_rule_priority after the engine's rule is refused" sh -c "ip netns exec $TEST-gw $ROUTES_DRIVER apply $STATE | grep -q 'open-error :: probe_rule_priority 1160 must come before every rule of the engine, but rules\[0\] has priority 1160'"
write_probe_state '"203.0.113.1"' ', "probe_table_base": 1100'
check "probe tables over the engine's table are refused" sh -c "ip netns exec $TEST-gw $ROUTES_DRIVER apply $STATE | grep -q 'open-error :: probe_table_base 1100: the probe tables 1100..1355 must not include'"
write_probe_state '"x%y\u0001"'
check "a target that is no address is refused, escaped" sh -c "ip netns exec $TEST-gw $ROUTES_DRIVER apply $STATE | grep -q \"config-error :: site 'west' path 'er2': probe target 'x%y\\\\\\\\x01' is not an IPv4 or IPv6 address\""
write_probe_state
sed -i 's/"probe": \["203.0.113.1"\]}]}/"probe": ["203.0.113.1"]}, {"name": "v4only", "dev": "er2", "gateway4": "198.51.100.5", "probe": ["2001:db8:100::1"]}]}/' "$STATE"
check "an IPv6 target on a path without gateway6 is refused" sh -c "ip netns exec $TEST-gw $ROUTES_DRIVER apply $STATE | grep -q \"config-error :: site 'west' path 'v4only': probe target 2001:db8:100::1/128 is IPv6 but the path has no gateway6\""
many=$(for i in $(seq 9); do printf '"203.0.113.%d",' "$i"; done)
write_probe_state "${many%,}"
check "a ninth target is refused" sh -c "ip netns exec $TEST-gw $ROUTES_DRIVER apply $STATE | grep -q \"config-error :: site 'west' path 'er2': probe target 203.0.113.9/32 is one too many (expected at most 8 per path)\""
finish
