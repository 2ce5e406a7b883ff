#!/usr/bin/env bash
# Nothing half-applied. A start that is refused leaves the kernel as it
# found it: tunneld -n and the start refuse next hops the kernel would
# refuse or that are no neighbour (a subnet's broadcast or network address,
# an address of this host) before anything changes; when the kernel refuses
# a next hop that passed every check (here: its route lookup ends in a
# prohibit route of link scope), the start is refused and what it added
# goes while what a previous run left stays exactly as it was (before the
# fix: the rule, the other site's routes and their nexthops stayed). A
# reload is all or nothing: refused by the checks before anything changes,
# or undone when the kernel refuses part of it; fail_closed and the paths
# tunnelctl lists stay those that run (before the fix the covers were
# removed and tunnelctl listed paths that did not run).
#
#   routes_refused.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtrefuse}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
veth_pair gw eth0 198.51.100.1/24 er eth1 198.51.100.9/24
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
# a neighbour address the checks cannot fault, whose nexthop the kernel refuses
nsx gw ip route add prohibit 192.0.2.7/32 scope link
cat >"$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = 198.51.100.2
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      sensors {
        remote_ts = 100.64.2.0/24
      }
    }
  }
}
CONF
# site NAME PREFIXES GATEWAY4 [PATH] -> a routes site block with one er0 path
site() {
  printf '      %s {\n        prefixes = %s\n        paths {\n          %s {\n            dev = er0\n            gateway4 = %s\n          }\n        }\n      }\n' \
    "$1" "$2" "${4:-er}" "$3"
}
# conf NAME [routes keys] -- SITE_BLOCKS...
conf() {
  local name=$1 kv extra=""
  shift
  while [ "$1" != -- ]; do extra+="    $1
"; shift; done
  shift
  tunneld_write_conf "$name" "$T_DIR/swanctl.conf"
  { printf 'tunneld {\n  routes {\n%s    sites {\n' "$extra"; printf '%s' "$@"; printf '    }\n  }\n}\n'; } \
    >>"$T_DIR/$name/tunneld.conf"
}
check_n() {
  ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.n" 2>&1
  echo $? >"$T_DIR/$1.nrc"
}
n_refused() {
  [ "$(cat "$T_DIR/$1.nrc")" = 1 ] && grep -qF -- "$2" "$T_DIR/$1.n" || { log "$1: -n: $(cat "$T_DIR/$1.n")"; return 1; }
}
# start_refused NAME PATTERN: tunneld exits non-zero, its log matches PATTERN
start_refused() {
  local pid rc
  ip netns exec "$TEST-gw" "$TUNNELD" -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.start" 2>&1 &
  pid=$!
  T_PIDS+=("$pid")
  wait_for 30 "$1 exits" sh -c "! kill -0 $pid" || { kill -TERM "$pid"; wait "$pid"; log "$1 runs"; return 1; }
  wait "$pid"
  rc=$?
  [ "$rc" != 0 ] && grep -qF -- "$2" "$T_DIR/$1/tunneld.log" ||
    { log "$1: exit $rc: $(tail -3 "$T_DIR/$1/tunneld.log")"; return 1; }
}
# everything of tunneld's engine in the kernel (charon's own rule aside)
state() { { nsx gw ip route show table all proto 116; nsx gw ip -6 route show table all proto 116; nsx gw ip nexthop; nsx gw ip rule | grep 'proto 116'; nsx gw ip -6 rule | grep 'proto 116'; } 2>/dev/null | sort; }
state_is() { state | cmp -s - "$1" || { state | diff "$1" - | head -20 >&2; return 1; }; }
state >"$T_DIR/empty"
check "the namespace starts empty of tunneld's routes" test ! -s "$T_DIR/empty"

WEST=$(site west 100.64.2.0/24 192.0.2.2)
# no neighbour: refused by -n and at start before anything changes
i=0
for bad in "192.0.2.255:is the broadcast address of 192.0.2.0/24 on er0" \
  "192.0.2.0:is the network address of 192.0.2.0/24 on er0" \
  "192.0.2.1:is an address of this host (on er0)" \
  "198.51.100.1:is not on a subnet connected to er0"; do
  i=$((i + 1))
  conf "b$i" -- "$WEST" "$(site bad 100.64.9.0/24 "${bad%%:*}" x)"
  check_n "b$i"
  check "-n refuses next hop ${bad%%:*}, naming the site and why" n_refused "b$i" \
    "tunneld.routes.sites.bad: site 'bad' path 'x': next hop ${bad%%:*} ${bad#*:}"
  check "the start refuses it" start_refused "b$i" "next hop ${bad%%:*} ${bad#*:}"
  check "and leaves nothing behind (no rule, route or nexthop)" state_is "$T_DIR/empty"
done

# refused by the kernel after every check passed
conf k -- "$WEST" "$(site bad 100.64.9.0/24 192.0.2.7 x)"
check_n k
check "-n cannot know that the kernel refuses 192.0.2.7" test "$(cat "$T_DIR/k.nrc")" = 0
check "the start is refused by the kernel's answer" start_refused k \
  "kernel refused creating nexthop"
check "and leaves the kernel as it found it (nothing)" state_is "$T_DIR/empty"

# what a previous run left stays as it was
conf prev -- "$WEST"
tunneld_start prev gw
ours() { nsx gw ip route show table 1160 | grep -q '^100.64.2.0/24 nhid'; }
check "a first run routes west" wait_for 10 "west" ours
check "and stops (its routes stay for the next run)" tunneld_stop prev
state >"$T_DIR/left"
conf k2 "fail_closed = no" -- "$(site west '100.64.2.0/24, 100.64.4.0/24' 192.0.2.2)" \
  "$(site bad 100.64.9.0/24 192.0.2.7 x)"
check "a start that changes west and adds a refused site is refused" start_refused k2 \
  "kernel refused creating nexthop"
check "it restored exactly what the previous run left" state_is "$T_DIR/left"
check "the log says so" grep -q "routes: abandon: restored what was found at open" "$T_DIR/k2/tunneld.log"

# reloads: all or nothing
conf gw -- "$WEST"
tunneld_start gw
check "tunneld runs with west" wait_for 10 "west" ours
covers() { nsx gw ip route show table 1160 | grep -c 'metric 4096'; }
one_cover() { [ "$(covers)" = 1 ]; }
check "west has its cover (fail_closed)" one_cover
reloads() { grep -c 'SIGHUP: reloading' "$T_DIR/gw/tunneld.log"; }
hup() {
  local n
  n=$(reloads)
  kill -HUP "$TUNNELD_PID_gw"
  wait_for 10 "reload logged" sh -c "[ \$(grep -c 'SIGHUP: reloading' '$T_DIR/gw/tunneld.log') -gt $n ]" || return 1
  wait_for 10 "reload done" sh -c "[ \$(grep -c 'connections loaded' '$T_DIR/gw/tunneld.log') -gt $n ]"
}
routes_json() { tctl gw -j routes; }
paths_listed() { routes_json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(s["name"]+"/"+p["name"] for s in d["sites"] for p in s["paths"]))'; }
problems() { routes_json | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["problems"]))'; }
state >"$T_DIR/running"
check "tunnelctl lists west/er" test "$(paths_listed)" = "west/er"

cp "$T_DIR/gw/tunneld.conf" "$T_DIR/gw.good"
conf gw "fail_closed = no" -- "$(site west 100.64.2.0/24 192.0.2.255 er2)"
hup || die "reload 1"
check "a reload the checks refuse changes nothing in the kernel (covers kept)" state_is "$T_DIR/running"
check "tunnelctl still lists what runs (west/er, not er2)" test "$(paths_listed)" = "west/er"
check "problems say the reload was refused and why" sh -c \
  "$(declare -f tctl routes_json problems); TUNNELCTL='$TUNNELCTL' T_DIR='$T_DIR' problems | grep -qF 'reload refused, previous routes kept: $T_DIR/gw/tunneld.conf: tunneld.routes.sites.west: site '\''west'\'' path '\''er2'\'': next hop 192.0.2.255 is the broadcast address'"

conf gw "fail_closed = no" -- "$(site west 100.64.2.0/24 192.0.2.2 er3)" \
  "$(site north 100.64.7.0/24 192.0.2.7 x)"
hup || die "reload 2"
check "a reload the kernel refuses in part is undone (covers back, no north)" state_is "$T_DIR/running"
check "tunnelctl lists what runs" test "$(paths_listed)" = "west/er"
check "problems say the kernel refused it" sh -c \
  "$(declare -f tctl routes_json problems); TUNNELCTL='$TUNNELCTL' T_DIR='$T_DIR' problems | grep -q 'reload refused, previous routes kept: .*kernel refused creating nexthop .*the running routes were applied again'"

conf gw "fail_closed = no" -- "$(site west 100.64.2.0/24 192.0.2.2 er3)"
hup || die "reload 3"
no_covers() { [ "$(covers)" = 0 ]; }
check "a good reload applies (fail_closed = no: covers gone)" wait_for 5 "no covers" no_covers
check "tunnelctl lists the new path" test "$(paths_listed)" = "west/er3"
check "no problems" test -z "$(problems)"
check "tunneld stops cleanly" tunneld_stop gw
finish
