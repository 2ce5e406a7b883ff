#!/usr/bin/env bash
# tunneld routes a site's prefixes over the best healthy path: an
# ExpressRoute next hop (a router netns on er0) first, the IPsec VPN (ipsec0,
# kernel-libipsec, to Debian's stock charon) second. The VPN path is bound to
# its CHILD_SA: usable only while the SA table says it is up.
#
#   routed_failover.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtfail}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"

azure_netns gw az
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
nsx er ip addr add 100.64.2.1/32 dev lo
nsx er ip route add 100.64.1.0/24 via 192.0.2.1
for ns in az er; do
  nsx $ns nft -f - <<NFT
table inet cnt {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 100.64.2.1 icmp type echo-request counter
  }
}
NFT
done
# echo requests that reached the host behind netns $1
echoes() { nsx "$1" nft -j list table inet cnt | python3 -c '
import json,sys
for o in json.load(sys.stdin)["nftables"]:
    r=o.get("rule")
    if r:
        for e in r["expr"]:
            if "counter" in e: print(e["counter"]["packets"])'; }
# ping_reaches NS: one ping from the sensors' address gets an answer and was seen by NS only
ping_reaches() {
  local want=$1 other=$2 a0 b0
  a0=$(echoes "$want"); b0=$(echoes "$other")
  nsx gw ping -c 1 -W 2 -I 100.64.1.1 100.64.2.1 >/dev/null 2>&1 || return 1
  [ "$(echoes "$want")" -gt "$a0" ] && [ "$(echoes "$other")" = "$b0" ]
}
route_dev() { nsx gw ip route get 100.64.2.1 from 100.64.1.1 2>&1 | grep -q "dev $1"; }
no_route() { ! nsx gw ip route get 100.64.2.1 from 100.64.1.1 >/dev/null 2>&1; }

# the Azure site of the tunnel test (shipped Azure preset), DPD shortened
azure_gateway_conf "$T_DIR/peer.conf" routed-failover-test
azure_site_conf "$T_DIR/swanctl.conf" routed-failover-test "dpd_delay = 2s"
charon_peer_start az "$T_DIR/peer.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "retransmit_timeout = 1" "retransmit_tries = 2" \
  "retransmit_base = 1.5"
cat >> "$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  routes {
    nexthop_compat_mode = 0
    sites {
      azure {
        prefixes = 100.64.2.0/24
        paths {
          expressroute {
            dev = er0
            gateway4 = 192.0.2.2
            priority = 10
          }
          vpn {
            dev = ipsec0
            priority = 20
            child = azure.sensors
          }
        }
      }
    }
  }
}
CONF
check "tunneld -n counts the routed site" sh -c "'$TUNNELD' -n -f '$T_DIR/gw/tunneld.conf' | grep -q '1 routed site'"
tunneld_start gw
wait_for 30 "tunnel up" child_is gw azure sensors up || die "tunnel did not come up"

check "nexthop_compat_mode set to 0 in the gateway's namespace only" \
  sh -c "[ \$(ip netns exec $TEST-gw cat /proc/sys/net/ipv4/nexthop_compat_mode) = 0 ] && [ \$(cat /proc/sys/net/ipv4/nexthop_compat_mode) = 1 ]"
check "ExpressRoute preferred: route via er0" wait_for 5 "route via er0" route_dev er0
check "a ping reaches the host behind ExpressRoute only" ping_reaches er az
check "charon's own table (220) is consulted after tunneld's (rule 1161 after 1160)" \
  sh -c "ip -n $TEST-gw rule | grep -q '^1161:.*lookup 220'"

# path_usable PATH yes|no -> tunnelctl -j routes says so
path_usable() {
  tctl gw -j routes | python3 -c '
import json,sys
d=json.load(sys.stdin)
p=[p for s in d["sites"] if s["name"]=="azure" for p in s["paths"] if p["name"]==sys.argv[1]][0]
sys.exit(0 if p["usable"]==(sys.argv[2]=="yes") else 1)' "$1" "$2"
}
tctl gw routes | tee "$T_DIR/routes.txt"
check "tunnelctl routes lists both paths" grep -qE "^azure +expressroute +er0 +192.0.2.2 +10 " "$T_DIR/routes.txt"
check "tunnelctl routes shows the VPN bound to its CHILD_SA, up" grep -qE "vpn +ipsec0 .* yes +azure.sensors \(up\)" "$T_DIR/routes.txt"
check "JSON: expressroute usable" path_usable expressroute yes

# the ExpressRoute link fails: the site moves to the VPN
t0=$(date +%s.%N)
nsx gw ip link set er0 down
check "ExpressRoute down: route via ipsec0" wait_for 5 "route via ipsec0" route_dev ipsec0
log "switched to the VPN after $(python3 -c "print(round($(date +%s.%N) - $t0, 3))") s (includes polling)"
check "a ping crosses the tunnel to the Azure side only" wait_for 5 "ping via VPN" ping_reaches az er
check "JSON: expressroute no longer usable" wait_for 3 "er unusable" path_usable expressroute no
check "the log has the path-down event" grep -q "routes: path-down site 'azure' path 'expressroute'\|routes: PATH_DOWN site 'azure' path 'expressroute'" "$T_DIR/gw/tunneld.log"
# er0 was the group's only member: the kernel dropped the group and its
# routes, and the site's cover group moved it (fail closed meanwhile)
check "the move went through the site's cover group" grep -q \
  "routes: site 'azure' IPv4: the kernel dropped group [0-9]*; cover group [0-9]* carries" "$T_DIR/gw/tunneld.log"

# the VPN's CHILD_SA dies too: no usable path, the site fails closed
drop_ike az rtfdrop
check "CHILD_SA down by DPD" wait_for 20 "child down" child_is gw azure sensors down dpd-timeout
check "the VPN path follows its CHILD_SA: no usable path, no route (blackhole)" wait_for 3 "no route" no_route
check "JSON: the VPN path is unusable while its CHILD_SA is down" path_usable vpn no
check "the log says why the VPN path is unusable" grep -q "path 'vpn' unusable: CHILD_SA azure.sensors is not up" "$T_DIR/gw/tunneld.log"
undrop_ike az rtfdrop
check "CHILD_SA back" wait_for 40 "child up" child_is gw azure sensors up
check "route via ipsec0 again" wait_for 5 "route via ipsec0" route_dev ipsec0
check "a ping crosses the tunnel again" wait_for 5 "ping via VPN" ping_reaches az er

nsx gw ip link set er0 up
check "ExpressRoute back: route via er0 again" wait_for 5 "route via er0" route_dev er0
check "a ping reaches the ExpressRoute side again" wait_for 5 "ping via ER" ping_reaches er az

# a restart of tunneld does not flap the routes: stop keeps them, start adopts them
ip netns exec "$TEST-gw" ip -o monitor route > "$T_DIR/monitor.txt" 2>&1 &
mon=$!; T_PIDS+=("$mon")
sleep 0.2
check "tunneld stops cleanly" tunneld_stop gw
check "routes stay while tunneld is down" route_dev er0
tunneld_start gw
check "after restart the route is still via er0" wait_for 5 "route via er0" route_dev er0
wait_for 30 "tunnel up" child_is gw azure sensors up
sleep 0.5
kill "$mon" 2>/dev/null
# (charon removes and re-adds its own fallback route in table 220: not ours)
check "no route of tunneld's table was deleted across the restart" \
  sh -c "! grep -E '^Deleted .*table 1160' '$T_DIR/monitor.txt'"
# the monitor was live: it recorded charon's fallback route going and coming
check "ip monitor recorded route events during the restart" grep -q "table 220" "$T_DIR/monitor.txt"
check "tunneld stops cleanly again" tunneld_stop gw
finish
