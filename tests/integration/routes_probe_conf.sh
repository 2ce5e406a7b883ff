#!/usr/bin/env bash
# The route engine's probe tables, marks and rule priority from
# tunneld.routes (probe_table_base, probe_mark_base, probe_rule_priority):
# tunneld -n refuses values the engine cannot use, naming the key; with a
# foreign route in table 11600 (the default first probe table) tunneld -n
# and the start are refused naming probe_table_base, and with the tables
# moved it starts, its probe rule and table are where the settings say and
# the path's echo probe works through them; the foreign route is untouched.
# A reload that moves them is refused (they need a restart), naming the key.
#
#   routes_probe_conf.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtprbcf}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
nsx er ip addr add 100.64.2.1/32 dev lo
nsx er ip route add 100.64.1.0/24 via 192.0.2.1
printf 'connections {\n}\n' >"$T_DIR/swanctl.conf"

# conf NAME [tunneld.routes lines...] -> NAME/tunneld.conf: one site whose
# path er echoes the far side's 100.64.2.1 (a probe route in a probe table)
conf() {
  local name=$1 kv; shift
  tunneld_write_conf "$name" "$T_DIR/swanctl.conf"
  {
    printf 'tunneld {\n  routes {\n'
    for kv in "$@"; do printf '    %s\n' "$kv"; done
    printf '  }\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
    printf '        er {\n          dev = er0\n          gateway4 = 192.0.2.2\n'
    printf '          echo {\n            target = 100.64.2.1\n            interval = 200ms\n'
    printf '            timeout = 500ms\n            window = 3\n          }\n        }\n'
    printf '      }\n    }\n  }\n}\n'
  } >>"$T_DIR/$name/tunneld.conf"
}
# refused NAME TEXT -> tunneld -n refuses NAME's file with TEXT in its output
refused() {
  ! ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.n" 2>&1 &&
    grep -qF -- "$2" "$T_DIR/$1.n" || { log "$1: $(cat "$T_DIR/$1.n")"; return 1; }
}
n_ok() {
  ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.n" 2>&1 ||
    { log "$1: $(cat "$T_DIR/$1.n")"; return 1; }
}
# start_refused NAME PATTERN: tunneld exits non-zero, its log names PATTERN
start_refused() {
  local pid rc
  ip netns exec "$TEST-gw" "$TUNNELD" -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.start" 2>&1 &
  pid=$!
  T_PIDS+=("$pid")
  wait_for 30 "$1 exits" sh -c "! kill -0 $pid" || { kill -TERM "$pid"; wait "$pid"; return 1; }
  wait "$pid"
  rc=$?
  [ "$rc" != 0 ] && grep -qF -- "$2" "$T_DIR/$1/tunneld.log" ||
    { log "$1: exit $rc: $(tail -3 "$T_DIR/$1.start")"; return 1; }
}

# the values the engine cannot use, each named
conf t1 "probe_table_base = 1000"
check "-n: probe tables over tunneld's table 1160 refused" refused t1 \
  "tunneld.routes.probe_table_base: '1000' is not a first probe table (expected 256..4294967040, the 256 tables from it not including tunneld's table 1160)"
conf t2 "probe_table_base = 200"
check "-n: probe tables over the kernel's 252..255 refused" refused t2 "tunneld.routes.probe_table_base: '200'"
conf t3 "probe_table_base = 4294967041"
check "-n: probe tables past 2^32 refused" refused t3 "tunneld.routes.probe_table_base: '4294967041'"
conf t4 "probe_table_base = 0x3000"
check "-n: a table in hexadecimal refused" refused t4 "tunneld.routes.probe_table_base: '0x3000'"
conf t5 "probe_table_base = 20000"
printf 'tunneld {\n  routing_table = 20100\n}\n' >>"$T_DIR/t5/tunneld.conf"
check "-n: probe tables over charon's own routing table refused" refused t5 \
  "tunneld.routes.probe_table_base: the probe tables 20000..20255 include charon's own routing table 20100"
conf m1 "probe_mark_base = 0"
check "-n: mark 0 refused" refused m1 "tunneld.routes.probe_mark_base: '0' is not a first probe fwmark"
conf m2 "probe_mark_base = 0xffffff01"
check "-n: marks past 2^32 refused" refused m2 "tunneld.routes.probe_mark_base: '0xffffff01'"
conf m3 "probe_mark_base = 0x1g"
check "-n: a broken hexadecimal mark refused" refused m3 "tunneld.routes.probe_mark_base: '0x1g'"
conf m4 "probe_mark_base = 0x000000001"
check "-n: a mark of more than 8 hex digits refused" refused m4 "tunneld.routes.probe_mark_base: '0x000000001'"
conf r1 "probe_rule_priority = 1160"
check "-n: a probe rule at tunneld's own rule refused" refused r1 \
  "tunneld.routes.probe_rule_priority: '1160' is not a rule priority before tunneld's rules (expected 1..1159"
conf r2 "probe_rule_priority = 0"
check "-n: probe rule priority 0 refused" refused r2 "tunneld.routes.probe_rule_priority: '0'"
conf k1 "probe_table = 20000"
check "-n: an unknown key lists the probe keys" refused k1 \
  "unknown key 'probe_table' (expected one of: table, protocol, flush_on_exit, fail_closed, nexthop_compat_mode, probe_table_base, probe_mark_base, probe_rule_priority)"

# a foreign route in table 11600: the default probe tables are taken
nsx gw ip route add 192.0.2.200/32 dev er0 table 11600 proto static
conf def
check "-n refuses the default probe tables, naming the key" refused def \
  "tunneld.routes.probe_table_base: probe table 11600 (probe_table_base 11600 + 0) is already used by something else"
check "the start is refused, naming the key" start_refused def \
  "tunneld.routes.probe_table_base: probe table 11600"

conf gw "probe_table_base = 20000" "probe_mark_base = 0x20000000" "probe_rule_priority = 1000"
check "-n passes with the probe tables moved" n_ok gw
tunneld_start gw
pq() {
  tctl gw -j paths | python3 -c '
import json, sys
p = json.load(sys.stdin)["sites"][0]["paths"][0]
v = p
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}
p_is() { [ "$(pq "$1" 2>/dev/null)" = "$2" ]; }
check "the path's probes carry mark 0x20000000" wait_for 10 "mark" p_is probe_mark $((0x20000000))
rule_there() { nsx gw ip rule | grep -q '^1000:.*fwmark 0x20000000 lookup 20000'; }
check "the probe rule: priority 1000, fwmark 0x20000000, table 20000" wait_for 10 "rule" rule_there
check "no rule at the default priority 1159" sh -c "! ip -n $TEST-gw rule | grep -q '^1159:'"
probe_route() { nsx gw ip route show table 20000 | grep -q '^100.64.2.1 via 192.0.2.2 dev er0'; }
check "the probe route to 100.64.2.1 is in table 20000" wait_for 10 "probe route" probe_route
check "the echo probe is answered through it (path up)" wait_for 15 "up" p_is state up
check "the echo probe's loss is 0" p_is echo.loss_pct 0
check "the foreign route in table 11600 is untouched" \
  sh -c "ip -n $TEST-gw route show table 11600 | grep -q '^192.0.2.200 dev er0 proto static'"

# a reload that moves them is refused: they need a restart
reloads() { grep -c 'connections loaded' "$T_DIR/gw/tunneld.log"; }
n=$(reloads)
conf gw "probe_table_base = 30000" "probe_mark_base = 0x20000000" "probe_rule_priority = 1000"
kill -HUP "$TUNNELD_PID_gw"
check "reload done" wait_for 15 "reload" sh -c "[ \$(grep -c 'connections loaded' '$T_DIR/gw/tunneld.log') -gt $n ]"
check "the reload is refused, naming probe_table_base" grep -qF \
  "tunneld.routes.probe_table_base: changed from 20000 to 30000, which needs a restart of tunneld" \
  "$T_DIR/gw/tunneld.log"
check "the probe rule stays (table 20000)" rule_there
check "the path is still up" p_is state up
conf gw "probe_table_base = 20000" "probe_mark_base = 0x20000001" "probe_rule_priority = 1000"
n=$(reloads)
kill -HUP "$TUNNELD_PID_gw"
check "reload 2 done" wait_for 15 "reload" sh -c "[ \$(grep -c 'connections loaded' '$T_DIR/gw/tunneld.log') -gt $n ]"
check "a moved probe_mark_base is refused too" grep -qF \
  "tunneld.routes.probe_mark_base: changed from 0x20000000 to 0x20000001" "$T_DIR/gw/tunneld.log"

check "tunneld stops cleanly" tunneld_stop gw
finish
