#!/usr/bin/env bash
# tunneld routes a site's prefixes over the best healthy path: an
# ExpressRoute next hop (a router netns on er0) first, the IPsec VPN (ipsec0,
# kernel-libipsec, to Debian's stock charon) second. The VPN path is bound to
# its CHILD_SA: usable only while the SA table says it is up. The main table
# has a clear way to the site (over the internet link), so every fail-closed
# check sees tunneld's table hold traffic that would otherwise flow.
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
# The main table has a working way to the site: in clear over the internet
# link (eth0) straight to the Azure host, which answers the same way. Every
# "fails closed" check below must therefore see tunneld's table stop the
# traffic; without tunneld it would flow.
nsx gw ip route add 100.64.2.0/24 via 198.51.100.2
nsx az ip route add 100.64.1.0/24 via 198.51.100.1
# echo requests to the Azure host, counted by where they arrived: "er"
# (behind ExpressRoute), "vpn" (decrypted on the Azure side's ipsec0), "clear"
# (on the Azure side's eth0, unencrypted through the main table)
nsx er nft -f - <<NFT || die "nftables in er"
table inet cnt {
  counter er { }
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 100.64.2.1 icmp type echo-request counter name er
  }
}
NFT
nsx az nft -f - <<NFT || die "nftables in az"
table inet cnt {
  counter vpn { }
  counter clear { }
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "ipsec0" ip daddr 100.64.2.1 icmp type echo-request counter name vpn
    iifname "eth0" ip daddr 100.64.2.1 icmp type echo-request counter name clear
  }
}
NFT
# echoes WHERE -> echo requests counted at er, vpn or clear
echoes() {
  local ns=az
  [ "$1" = er ] && ns=er
  nsx $ns nft list counter inet cnt "$1" | grep -o 'packets [0-9]*' | cut -d' ' -f2
}
counts() { echo "$(echoes er) $(echoes vpn) $(echoes clear)"; }
# ping_reaches WHERE: one ping from the sensors' address gets an answer and
# its echo request was counted at WHERE only
ping_reaches() {
  local before after want
  read -ra before <<<"$(counts)"
  nsx gw ping -c 1 -W 2 -I 100.64.1.1 100.64.2.1 >/dev/null 2>&1 || return 1
  read -ra after <<<"$(counts)"
  case $1 in er) want="1 0 0" ;; vpn) want="0 1 0" ;; clear) want="0 0 1" ;; esac
  [ "$((after[0] - before[0])) $((after[1] - before[1])) $((after[2] - before[2]))" = "$want" ]
}
# ping_dropped: one ping gets no answer and its echo request reached no host
ping_dropped() {
  local before
  before=$(counts)
  ! nsx gw ping -c 1 -W 1 -I 100.64.1.1 100.64.2.1 >/dev/null 2>&1 && [ "$(counts)" = "$before" ]
}
# the sensors' lookup ends in a blackhole of tunneld's table (the kernel
# answers EINVAL for a blackhole route), not in the main table
blackholed() {
  local out
  out=$(nsx gw ip route get 100.64.2.1 from 100.64.1.1 2>&1)
  grep -q 'Invalid argument' <<<"$out" && return 0
  log "lookup: $out | table 1160: $(nsx gw ip route show table 1160 | tr '\n' ';') | nexthops: $(nsx gw ip nexthop show | tr '\n' ';')" >&$T_STDOUT
  return 1
}
check "before tunneld: the sensors reach the Azure host in clear through the main table" \
  ping_reaches clear

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
  }
  # path health: a path that comes back carries traffic after min_good
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        expressroute {
          dev = er0
          gateway4 = 192.0.2.2
          priority = 10
          min_good = 2s
        }
        vpn {
          type = vpn
          dev = ipsec0
          priority = 20
          child = azure.sensors
          min_good = 2s
        }
      }
    }
  }
}
CONF
check "tunneld -n accepts the file and counts the routed site" \
  sh -c "'$TUNNELD' -n -f '$T_DIR/gw/tunneld.conf' >'$T_DIR/check.txt' && grep -q '1 routed site' '$T_DIR/check.txt'"
tunneld_start gw
check "tunnel up" wait_for 30 "tunnel up" child_is gw azure sensors up || die "tunnel did not come up"

check "nexthop_compat_mode set to 0 in the gateway's namespace only" \
  sh -c "[ \$(ip netns exec $TEST-gw cat /proc/sys/net/ipv4/nexthop_compat_mode) = 0 ] && [ \$(cat /proc/sys/net/ipv4/nexthop_compat_mode) = 1 ]"
# route_dev DEV: the sensors' traffic to the site leaves on DEV by a route of
# tunneld's table (not charon's table 220, not the main table)
route_dev() { nsx gw ip route get 100.64.2.1 from 100.64.1.1 2>&1 | grep -q "dev $1 table 1160 "; }
check "ExpressRoute preferred: route via er0" wait_for 5 "route via er0" route_dev er0
check "a ping reaches the host behind ExpressRoute only" ping_reaches er
check "charon's own table (220) is consulted after tunneld's (rule 1161 after 1160)" \
  sh -c "ip -n $TEST-gw rule | grep -q '^1160:.*lookup 1160' && ip -n $TEST-gw rule | grep -q '^1161:.*lookup 220'"

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

# The ExpressRoute link fails while tunneld is frozen (SIGSTOP), so that it
# cannot act: er0 was the only member of the site's group, so the kernel
# drops the group and its routes at once. The site's covers must keep the
# sensors' traffic in the blackhole (not the main table's clear way, nor
# charon's table 220) until tunneld moves it.
# every thread of tunneld stopped (state T), not just the signal sent
all_stopped() {
  local st
  for st in /proc/"$1"/task/*/stat; do
    [ "$(sed 's/.*) //' "$st" 2>/dev/null | cut -d' ' -f1)" = T ] || return 1
  done
}
kill -STOP "$TUNNELD_PID_gw"
check "tunneld frozen (every thread stopped)" wait_for 5 "tunneld stopped" all_stopped "$TUNNELD_PID_gw"
nsx gw ip link set er0 down
check "tunneld frozen, er0 down: the lookup ends in the blackhole cover" blackholed
check "tunneld frozen, er0 down: no echo request reaches any host" ping_dropped
t0=$(date +%s.%N)
kill -CONT "$TUNNELD_PID_gw"
check "ExpressRoute down: route via ipsec0" wait_for 5 "route via ipsec0" route_dev ipsec0
log "switched to the VPN $(python3 -c "print(round($(date +%s.%N) - $t0, 3))") s after SIGCONT (includes polling)"
check "a ping crosses the tunnel to the Azure side only" wait_for 5 "ping via VPN" ping_reaches vpn
check "JSON: expressroute no longer usable" wait_for 3 "er unusable" path_usable expressroute no
check "the log has the path-down event" grep -q "routes: path-down site 'azure' path 'expressroute'\|routes: PATH_DOWN site 'azure' path 'expressroute'" "$T_DIR/gw/tunneld.log"
check "the move went through the site's cover group" grep -q \
  "routes: site 'azure' IPv4: the kernel dropped group [0-9]*; cover group [0-9]* carries" "$T_DIR/gw/tunneld.log"

# the VPN's CHILD_SA dies too: no usable path, the site fails closed (the
# main table's clear way to the site is not taken)
drop_ike az rtfdrop
check "CHILD_SA down by DPD" wait_for 20 "child down" child_is gw azure sensors down dpd-timeout
check "the VPN path follows its CHILD_SA: no usable path, the lookup ends in a blackhole" \
  wait_for 3 "blackhole" blackholed
check "no usable path: no echo request reaches any host" ping_dropped
check "JSON: the VPN path is unusable while its CHILD_SA is down" path_usable vpn no
check "the log says why the VPN path is unusable" grep -q "site 'azure' path 'vpn': .* -> down (SA down (azure.sensors))" "$T_DIR/gw/tunneld.log"
undrop_ike az rtfdrop
check "CHILD_SA back" wait_for 40 "child up" child_is gw azure sensors up
check "route via ipsec0 again" wait_for 5 "route via ipsec0" route_dev ipsec0
check "a ping crosses the tunnel again" wait_for 5 "ping via VPN" ping_reaches vpn

nsx gw ip link set er0 up
# (after the path's min_good of 2 s: health)
check "ExpressRoute back: route via er0 again" wait_for 10 "route via er0" route_dev er0
check "a ping reaches the ExpressRoute side again" wait_for 5 "ping via ER" ping_reaches er

# A restart of tunneld does not flap the routes: stop keeps them, start
# adopts them. ip monitor has no readiness signal: a marker route it must
# print before the restart proves it records (each attempt adds a new route,
# another metric, so that every attempt is notified); a second marker after
# the restart proves every event until then reached its log.
spawn "$T_DIR/monitor.txt" ip -n "$TEST-gw" -o monitor route nexthop rule
mon=$LAST_PID
MARKS=0
marker() { grep -q "$1" "$T_DIR/monitor.txt"; }
marker_sent() {
  MARKS=$((MARKS + 1))
  nsx gw ip route add 203.0.113.64/26 via 192.0.2.2 metric $((4200 + MARKS)) &&
    marker "203.0.113.64/26 via 192.0.2.2 dev er0 .*metric 42"
}
check "ip monitor was recording before the restart" wait_for 5 "monitor marker" marker_sent
owned_routes() { nsx gw ip route show table 1160; }
owned_routes >"$T_DIR/table-before.txt"
check "tunneld stops cleanly" tunneld_stop gw
check "routes stay while tunneld is down" route_dev er0
tunneld_start gw
check "after restart the route is still via er0" route_dev er0
check "tunnel up again after the restart" wait_for 30 "tunnel up" child_is gw azure sensors up
check "the VPN path is usable again after the restart" wait_for 5 "vpn usable" path_usable vpn yes
nsx gw ip route add 203.0.113.128/26 via 192.0.2.2
check "ip monitor was recording after the restart" wait_for 5 "monitor marker" marker 203.0.113.128/26
kill "$mon"; wait "$mon" 2>/dev/null
for m in $(seq 1 "$MARKS"); do nsx gw ip route del 203.0.113.64/26 via 192.0.2.2 metric $((4200 + m)) 2>/dev/null; done
nsx gw ip route del 203.0.113.128/26 via 192.0.2.2
# Deleting a nexthop group deletes its routes without a route event: look
# for deletions of anything of tunneld's protocol. (charon removes and
# re-adds its own route in table 220 and its rule 1161; the kernel drops the
# nexthop on ipsec0 silently with the device, and tunneld re-creates it.)
check "no route, nexthop or rule of tunneld was deleted across the restart" \
  sh -c "! grep -E '^Deleted .*(proto 116|table 1160)' '$T_DIR/monitor.txt'"
check "no route of tunneld's table was added again (adopted, not rebuilt)" \
  sh -c "! grep -E 'table 1160' '$T_DIR/monitor.txt'"
check "tunneld's table holds the same routes and groups after the restart" \
  sh -c "owned=\$(ip -n $TEST-gw route show table 1160); [ -n \"\$owned\" ] && [ \"\$owned\" = \"\$(cat '$T_DIR/table-before.txt')\" ]"
check "tunneld stops cleanly again" tunneld_stop gw
finish
