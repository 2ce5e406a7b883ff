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
# p_is INSTANCE SITE PATH FIELD VALUE
p_is() { [ "$(pq "$1" "$2" "$3" "$4" 2>/dev/null)" = "$5" ]; }
# p_has INSTANCE SITE PATH FIELD TEXT -> the field contains TEXT
p_has() { pq "$1" "$2" "$3" "$4" 2>/dev/null | grep -qF -- "$5"; }
