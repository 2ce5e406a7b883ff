# Shared topology and helpers for the routes/ integration tests. Source it
# after setting TEST; it sources tests/lib/common.sh (cleanup traps).
#
#   sen (sensors) --- gw (runs routes_driver) --- r1  ExpressRoute next hop 1
#                                         |------ r2  ExpressRoute next hop 2
#                                         |------ r3  "tunnel" (device path)
# r1, r2 and r3 all hold 203.0.113.1 and 2001:db8:100::1 (a host of the Azure
# site) and count the echo requests they receive with nftables, so a ping
# shows which path carried it.

ROUTES_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/common.sh
source "$ROUTES_TESTS_DIR/../lib/common.sh"
: "${ROUTES_DRIVER:?ROUTES_DRIVER must point to routes_driver}"
TABLE=1160
STATE=$T_DIR/state.json
CTL=$T_DIR/ctl
DLOG=$T_DIR/driver.log

addr6() { ip -n "$TEST-$1" -6 addr add "$3" dev "$2" nodad; }

rt_topology() {
  local r
  for n in gw r1 r2 r3 sen; do
    netns_new $n
    # no duplicate address detection: link-local addresses usable at once
    nsx $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  nsx gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1
  veth_pair gw er1 198.51.100.2/30 r1 eth0 198.51.100.1/30
  veth_pair gw er2 198.51.100.6/30 r2 eth0 198.51.100.5/30
  veth_pair gw tun 100.64.255.2/30 r3 eth0 100.64.255.1/30
  veth_pair gw sen 192.0.2.1/24 sen eth0 192.0.2.10/24
  addr6 gw er1 2001:db8:1::2/64; addr6 r1 eth0 2001:db8:1::1/64
  addr6 gw er2 2001:db8:2::2/64; addr6 r2 eth0 2001:db8:2::1/64
  addr6 gw sen 2001:db8:50::1/64; addr6 sen eth0 2001:db8:50::10/64
  nsx sen ip route add default via 192.0.2.1
  nsx sen ip -6 route add default via 2001:db8:50::1
  for r in r1 r2 r3; do
    nsx $r ip addr add 203.0.113.1/32 dev lo
    nsx $r ip -6 addr add 2001:db8:100::1/128 dev lo nodad
    nsx $r nft -f - <<'NFT' || die "nftables in $r"
table inet t {
  chain in {
    type filter hook input priority 0;
    ip daddr 203.0.113.1 icmp type echo-request counter
    ip6 daddr 2001:db8:100::1 icmpv6 type echo-request counter
  }
}
NFT
  done
  nsx r1 ip route add 192.0.2.0/24 via 198.51.100.2
  nsx r1 ip -6 route add 2001:db8:50::/64 via 2001:db8:1::2
  nsx r2 ip route add 192.0.2.0/24 via 198.51.100.6
  nsx r2 ip -6 route add 2001:db8:50::/64 via 2001:db8:2::2
  nsx r3 ip route add 192.0.2.0/24 via 100.64.255.2
}

# echo requests received by namespace $1 for family 4 or 6
echo_count() {
  local line=1
  [ "$2" = 6 ] && line=2
  nsx "$1" nft list chain inet t in | grep -o 'packets [0-9]*' | sed -n "${line}p" | cut -d' ' -f2
}

# ping_via FAMILY NS: one ping from the sensor reaches NS and no other
ping_via() {
  local fam=$1 want=$2 dst=203.0.113.1 r before=() after=() i=0 ok=0
  [ "$fam" = 6 ] && dst=2001:db8:100::1
  for r in r1 r2 r3; do before+=("$(echo_count $r "$fam")"); done
  # up to 3 single pings: the first may wait for neighbour resolution
  local try replied=0
  for try in 1 2 3; do
    if nsx sen ping -"$fam" -c 1 -W 2 -q "$dst" >/dev/null 2>&1; then replied=1; break; fi
  done
  [ $replied = 1 ] || return 1
  for r in r1 r2 r3; do after+=("$(echo_count $r "$fam")"); done
  for r in r1 r2 r3; do
    local d=$((after[i] - before[i]))
    if [ "$r" = "$want" ]; then [ "$d" -ge 1 ] && ok=1; else [ "$d" -eq 0 ] || return 1; fi
    i=$((i + 1))
  done
  [ $ok = 1 ]
}

# ping_none FAMILY: one ping from the sensor gets no reply and reaches none
# of r1, r2, r3
ping_none() {
  local fam=$1 dst=203.0.113.1 r before=() i=0
  [ "$fam" = 6 ] && dst=2001:db8:100::1
  for r in r1 r2 r3; do before+=("$(echo_count $r "$fam")"); done
  nsx sen ping -"$fam" -c 1 -W 1 -q "$dst" >/dev/null 2>&1 && return 1
  for r in r1 r2 r3; do
    [ "$(echo_count $r "$fam")" -eq "${before[i]}" ] || return 1
    i=$((i + 1))
  done
}
not() { ! "$@"; }

# prefix lists (JSON string items) for the generated sites
v4_hosts() { # v4_hosts SECOND_OCTET COUNT -> "100.SO.x.y/32",...
  local so=$1 n=$2 i out=""
  for ((i = 0; i < n; i++)); do out+="\"100.$so.$((i / 250)).$((i % 250))/32\","; done
  printf '%s' "${out%,}"
}
v6_nets() { # v6_nets PREFIX_HEX COUNT -> "2001:db8:PFX:i::/64",...
  local p=$1 n=$2 i out=""
  for ((i = 0; i < n; i++)); do out+="\"2001:db8:$p:$(printf %x "$i")::/64\","; done
  printf '%s' "${out%,}"
}

# write_state WEST_V4_HOSTS WEST_V6_NETS ER1_PRIO ER2_PRIO [EAST_V4_HOSTS]
write_state() {
  local w4=$1 w6=$2 p1=$3 p2=$4 e4=${5:-0} east=""
  if [ "$e4" -gt 0 ]; then
    east=",{\"name\": \"east\", \"prefixes\": [\"198.51.100.128/25\", \"2001:db8:2000::/48\", $(v4_hosts 65 "$e4")],
      \"paths\": [{\"name\": \"er2\", \"dev\": \"er2\", \"gateway4\": \"198.51.100.5\", \"gateway6\": \"2001:db8:2::1\", \"priority\": 10},
                  {\"name\": \"er1\", \"dev\": \"er1\", \"gateway4\": \"198.51.100.1\", \"gateway6\": \"2001:db8:1::1\", \"priority\": 20}]}"
  fi
  local extra4="" extra6=""
  [ "$w4" -gt 0 ] && extra4=", $(v4_hosts 64 "$w4")"
  [ "$w6" -gt 0 ] && extra6=", $(v6_nets 1000 "$w6")"
  cat >"$STATE.tmp" <<JSON
{ "table": $TABLE,
  "sites": [
    {"name": "west",
     "prefixes": ["203.0.113.0/24", "2001:db8:100::/48"$extra4$extra6],
     "paths": [
       {"name": "er1", "dev": "er1", "gateway4": "198.51.100.1", "gateway6": "2001:db8:1::1", "priority": $p1},
       {"name": "er2", "dev": "er2", "gateway4": "198.51.100.5", "gateway6": "2001:db8:2::1", "priority": $p2},
       {"name": "tunnel", "dev": "tun", "priority": 30}]}$east
  ]
}
JSON
  mv "$STATE.tmp" "$STATE"
}

# number of group routes in our table for family 4/6 (the covers, at
# metric 4096, not counted)
nroutes() { nsx gw ip -"$1" route show table $TABLE | grep -v ' metric 4096' | grep -c ' nhid '; }
# number of covers (metric 4096, proto 116, to a cover group) for 4/6
nfallback() {
  # (with the proto filter, ip leaves the protocol out of each line)
  nsx gw ip -"$1" route show table $TABLE proto 116 | grep -c '^[^[:space:]].* nhid [0-9]* .*metric 4096'
}
# number of nexthop objects of protocol 116
nnexthops() { nsx gw ip -j nexthop show | grep -o '"protocol":"116"' | wc -l; }

# "ip route get" says via GW
route_via() { nsx gw ip route get "$1" | grep -q "via $2 "; }
route_dev() { nsx gw ip route get "$1" | grep -q "dev $2 "; }

drv() { nsx gw "$ROUTES_DRIVER" "$@"; }

# driver daemon with a control FIFO; output in $DLOG
drv_start() {
  rm -f "$CTL"
  mkfifo "$CTL"
  # ip netns exec execs the driver: $! is the driver's pid
  spawn "$DLOG" ip netns exec "$TEST-gw" "$ROUTES_DRIVER" --control "$CTL" "$@" run "$STATE"
  DRV_PID=$LAST_PID
  wait_for 10 "driver ready" grep -q '^ready' "$DLOG" || die "driver did not start: $(cat "$DLOG")"
}
# drv_stop [STATUS]: SIGTERM; the driver must exit within 10 s with STATUS
# (default 0: its initial apply succeeded): a crash or a sanitizer abort
# while closing the engine fails
drv_stop() {
  local want=${1:-0} i rc
  kill -TERM "$DRV_PID" 2>/dev/null
  for i in $(seq 100); do our_child "$DRV_PID" || break; sleep 0.1; done
  if our_child "$DRV_PID"; then
    log "driver $DRV_PID still running 10 s after SIGTERM: killing it"
    kill -KILL "$DRV_PID" 2>/dev/null
  fi
  wait "$DRV_PID"
  rc=$?
  [ "$rc" = "$want" ] && return 0
  log "driver exited with status $rc (expected $want); end of its log:"
  tail -n 5 "$DLOG"
  return 1
}
# lines_gt PATTERN N: more than N lines of the driver log match PATTERN
lines_gt() { [ "$(grep -c "$1" "$DLOG")" -gt "$2" ]; }
# drv_cmd CMD PATTERN: sends CMD, waits for one more line matching PATTERN
drv_cmd() {
  local n
  n=$(grep -c "$2" "$DLOG")
  echo "$1" >"$CTL"
  wait_for 10 "reply to '$1'" lines_gt "$2" "$n"
}
last_line() { grep "$1" "$DLOG" | tail -1; }
count_lines() { grep -c "$1" "$DLOG"; }
# the last "applied/health" line carries messages=N
last_messages() { last_line "$1" | grep -o 'messages=[0-9]*' | cut -d= -f2; }

# within_ms MS "description" cmd...: polls every 20 ms, true if cmd succeeds
# within MS milliseconds of the call
within_ms() {
  # TEST_TIME_SCALE (set by scripts/test.sh for the sanitizer build, whose
  # binaries run several times slower) stretches the deadline; the normal
  # build is held to the figure the requirement names.
  local ms=$(($1 * ${TEST_TIME_SCALE:-1})) what=$2 start now
  shift 2
  start=$(date +%s%3N)
  while :; do
    if "$@" >/dev/null 2>&1; then
      now=$(date +%s%3N)
      log "$what after $((now - start)) ms"
      return 0
    fi
    now=$(date +%s%3N)
    [ $((now - start)) -ge "$ms" ] && break
    sleep 0.02
  done
  log "not within ${ms} ms: $what"
  return 1
}
# group id used by a prefix, and the id of the single nexthop via GW
nhid_of() {
  nsx gw ip route show table $TABLE "$1" | grep -v ' metric 4096' | grep -o 'nhid [0-9]*' | cut -d' ' -f2
}
# cover group of a prefix
cover_of() {
  nsx gw ip route show table $TABLE "$1" | grep ' metric 4096' | grep -o 'nhid [0-9]*' | cut -d' ' -f2
}
single_via() { nsx gw ip nexthop show | grep "via $1 " | grep -o '^id [0-9]*' | cut -d' ' -f2; }
# the prefix's group route (its cover, at metric 4096, does not count)
has_route() { nsx gw ip -"$1" route show table $TABLE "$2" | grep -v ' metric 4096' | grep -q nhid; }
