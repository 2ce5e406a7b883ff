# Shared by tunneld's daemon-level path health tests (tests/health/health_*.sh):
# a gateway namespace "gw" (the sensors at 100.64.1.1) with ExpressRoute-like
# paths, each a veth to a far namespace that holds the Azure host 100.64.2.1
# and counts the echo requests that reach it there (nft counter "in").
# Source after common.sh and tunneld_env.sh.

# health_far NAME GW_IF GW_ADDR FAR_ADDR -> netns NAME behind gw's GW_IF
health_far() {
  local name=$1 dev=$2 a=$3 b=$4
  netns_new "$name"
  veth_pair gw "$dev" "$a/24" "$name" eth0 "$b/24"
  nsx "$name" ip addr add 100.64.2.1/32 dev lo
  nsx "$name" ip route add 100.64.1.0/24 via "${a}"
  nsx "$name" nft -f - <<NFT || die "nftables in $name"
table inet cnt {
  counter in { }
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 100.64.2.1 icmp type echo-request counter name in
  }
}
NFT
}

# health_gw -> netns gw with the sensors' address
health_gw() {
  netns_new gw
  nsx gw ip addr add 100.64.1.1/32 dev lo
}

# health_swanctl FILE -> a connections file without connections
health_swanctl() {
  printf 'connections {\n}\n' >"$1"
}

# hits NAME -> echo requests counted at far namespace NAME
hits() { nsx "$1" nft list counter inet cnt in | grep -o 'packets [0-9]*' | cut -d' ' -f2; }

# route_dev DEV: the sensors' traffic to the site leaves on DEV by a route
# of tunneld's table
route_dev() { nsx gw ip route get 100.64.2.1 from 100.64.1.1 2>&1 | grep -q "dev $1 table 1160 "; }

# ping_to NAME: one ping from the sensors is answered, its request counted at NAME
ping_to() {
  local before
  before=$(hits "$1")
  nsx gw ping -c 1 -W 2 -I 100.64.1.1 100.64.2.1 >/dev/null 2>&1 || return 1
  [ "$(hits "$1")" -gt "$before" ]
}

# pq INSTANCE SITE PATH FIELD -> a field (dotted, e.g. bfd.state) of a path in
# tunnelctl -j paths; "site:FIELD" as PATH reads the site's own field
pq() {
  tctl "$1" -j paths | python3 -c '
import json, sys
site, path, field = sys.argv[1:4]
d = json.load(sys.stdin)
for s in d["sites"]:
    if s["name"] != site:
        continue
    v = s
    if path != "site:":
        v = [p for p in s["paths"] if p["name"] == path][0]
    for k in field.split("."):
        v = v[k] if v is not None else None
    print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)
    sys.exit(0)
sys.exit(1)' "$2" "$3" "$4"
}
# cq FIELD GROUP PATH [ENDPOINT] -> a field of the (first) application check
# row of sensor GROUP on PATH in tunneld gw's tunnelctl -j paths
cq() {
  tctl gw -j paths | python3 -c '
import json, sys
field, group, path = sys.argv[1:4]
ep = sys.argv[4] if len(sys.argv) > 4 else None
for s in json.load(sys.stdin)["sites"]:
    for c in s.get("checks") or []:
        if c["group"] == group and c["path"] == path and ep in (None, c["endpoint"]):
            v = c[field]
            print(json.dumps(v) if isinstance(v, bool) or v is None else v)
            sys.exit(0)
sys.exit(1)' "$@"
}
# p_is INSTANCE SITE PATH FIELD VALUE
p_is() { [ "$(pq "$1" "$2" "$3" "$4" 2>/dev/null)" = "$5" ]; }
# p_has INSTANCE SITE PATH FIELD TEXT -> the field contains TEXT
p_has() { pq "$1" "$2" "$3" "$4" 2>/dev/null | grep -qF -- "$5"; }

# health_bird NAME PEER_ADDR -> BIRD 2 in far netns NAME as the BFD speaker
# (100 ms x 3) for the gateway's address PEER_ADDR on its eth0
health_bird() {
  local name=$1 peer=$2 dir="$T_DIR/bird-$1"
  mkdir -p "$dir"
  cat >"$dir/bird.conf" <<CONF
router id $(nsx "$name" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1);
protocol device { }
protocol bfd {
  interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
  neighbor $peer dev "eth0";
}
CONF
  spawn "$dir/bird.log" ip netns exec "$TEST-$name" bird -f -c "$dir/bird.conf" \
    -s "$dir/bird.ctl" -P "$dir/bird.pid"
  wait_for 10 "BIRD in $name" test -S "$dir/bird.ctl" || die "BIRD did not start in $name"
}

# far_gone NAME / far_back NAME -> the far side drops (again passes) every IP
# packet; ARP still answers, so link and neighbour stay fine
far_gone() {
  printf 'table inet gone {\n chain input { type filter hook input priority -10; policy accept; meta protocol { ip, ip6 } drop; }\n chain output { type filter hook output priority -10; policy accept; meta protocol { ip, ip6 } drop; }\n}\n' |
    nsx "$1" nft -f -
}
far_back() { nsx "$1" nft delete table inet gone; }

# er_path NAME DEV GW PRIO [extra lines] -> a tunneld.sites path with BFD to GW
er_path() {
  local name=$1 dev=$2 gw=$3 prio=$4; shift 4
  printf '        %s {\n          type = expressroute\n          dev = %s\n          gateway4 = %s\n          priority = %s\n' "$name" "$dev" "$gw" "$prio"
  local kv
  for kv in "$@"; do printf '          %s\n' "$kv"; done
  printf '          bfd {\n            remote = %s\n            min_tx = 100ms\n            min_rx = 100ms\n            multiplier = 3\n          }\n        }\n' "$gw"
}

# reloads -> how many times tunneld gw has loaded its connections (start and
# every SIGHUP); hup -> SIGHUP to tunneld gw, waits until the reload is done
reloads() { grep -c 'connections loaded' "$T_DIR/gw/tunneld.log"; }
hup() {
  local n
  n=$(reloads)
  kill -HUP "$TUNNELD_PID_gw"
  wait_for 15 "reload done" sh -c "[ \$(grep -c 'connections loaded' '$T_DIR/gw/tunneld.log') -gt $n ]"
}

# good_time_on DEV MAX -> samples path er of site azure every 0.1 s (at most
# MAX times) while its min good time has more than 300 ms to run, and counts
# in SAMPLES the samples and in EARLY those whose route was not via DEV (the
# site must stay on DEV until er's good time is served)
good_time_on() {
  local dev=$1 max=$2 rem
  SAMPLES=0 EARLY=0
  for _ in $(seq "$max"); do
    rem=$(pq gw azure er good_remaining_ms 2>/dev/null) || break
    log "good_remaining_ms $rem, route: $(nsx gw ip route get 100.64.2.1 from 100.64.1.1 | head -1)"
    [ "$rem" -gt 300 ] 2>/dev/null || break
    SAMPLES=$((SAMPLES + 1))
    route_dev "$dev" || EARLY=$((EARLY + 1))
    sleep 0.1
  done
}
