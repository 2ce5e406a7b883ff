#!/usr/bin/env bash
# An ExpressRoute path without BFD or echo whose next hop stops answering
# ARP while its link stays up (nftables' arp family drops every ARP packet in
# the far namespace): the kernel's neighbour entry goes FAILED, tunnelctl -j
# paths shows the path down naming the next hop (next_hop "failed"), the
# site moves to the next path; when ARP is answered again the path comes
# back, and the site returns only after min_good (3 s).
#
#   health_nexthop.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hnhop}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"

health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2
# the kernel's neighbour timing on er0, in seconds rather than ~30 s:
# reachable 500 ms, 1 s before probing, 2 probes 200 ms apart
nsx gw sysctl -qw net.ipv4.neigh.er0.base_reachable_time_ms=500 \
  net.ipv4.neigh.er0.delay_first_probe_time=1 net.ipv4.neigh.er0.retrans_time_ms=200 \
  net.ipv4.neigh.er0.ucast_solicit=2 net.ipv4.neigh.er0.mcast_solicit=2 ||
  die "neighbour sysctls on er0"

health_swanctl "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        er {
          type = expressroute
          dev = er0
          gateway4 = 192.0.2.2
          priority = 10
          min_good = 3s
        }
        bk {
          type = expressroute
          dev = bk0
          gateway4 = 198.51.100.2
          priority = 20
        }
      }
    }
  }
}
CONF
tunneld_start gw

check "er up" wait_for 10 "er up" p_is gw azure er state up
check "er carries the site" wait_for 5 "er active" p_is gw azure er active true
check "the kernel routes the site via er0" wait_for 5 "route er0" route_dev er0
check "a ping reaches the host behind er" ping_to er
check "er's next hop ok" wait_for 5 "next hop ok" p_is gw azure er next_hop ok

# the far side stops answering ARP; its address and link stay
nsx er nft -f - <<'NFT' || die "nft arp in er"
table arp noarp {
  chain in { type filter hook input priority 0; counter drop; }
}
NFT
# the sensors' traffic keeps going (one ping at a time) until the kernel
# marks the next hop FAILED and health moves the site
moved() {
  nsx gw ping -c 1 -W 1 -q -I 100.64.1.1 100.64.2.1 >/dev/null 2>&1
  route_dev bk0
}
check "ARP unanswered: the site moves to bk" wait_for 20 "site on bk" moved
check "er reported down" p_is gw azure er state down
check "er's next hop reported failed" p_is gw azure er next_hop failed
check "er's reason names the next hop" p_has gw azure er reason "next hop 192.0.2.2 FAILED (ARP/ND)"
check "the kernel's entry for 192.0.2.2 is FAILED" \
  sh -c "ip -n $TEST-gw neigh show 192.0.2.2 dev er0 | grep -q FAILED"
check "er0's link stays up (carrier true)" p_is gw azure er carrier true
check "bk carries the site" p_is gw azure bk active true
check "the decision names the next hop" p_has gw azure site: decisions "er -> bk (er: next hop 192.0.2.2 FAILED"
check "a ping reaches the host behind bk" ping_to bk

# ARP answered again: the engine's re-resolution brings er back, the site
# returns after min_good
nsx er nft delete table arp noarp
check "er's next hop ok again" wait_for 10 "next hop ok" p_is gw azure er next_hop ok
good_time_on bk0 40
check "while er serves its min good time ($SAMPLES samples): the site stays on bk" \
  test "$SAMPLES" -ge 3 -a "$EARLY" = 0
check "after min_good the site returns to er (route via er0)" wait_for 5 "route er0" route_dev er0
check "er up and active again" p_is gw azure er active true
check "a ping reaches the host behind er again" ping_to er

check "tunneld stops cleanly" tunneld_stop gw
finish
