#!/usr/bin/env bash
# IKE liveness of a VPN path. The path is bound to the CHILD_SA azure.sensors
# (stock charon as the Azure VPN gateway in netns az); its ICMP echo goes out
# of its interface vp0 to a responder (netns ec) that answers whether the SA
# is up or not, so that the SA's verdict and echo's can be told apart:
#  - while the SA is not up the path is down ("SA down (azure.sensors)")
#    though its echo answers every probe, and the site fails closed;
#  - with the SA up the path carries the site;
#  - with dpd_on_failure, when the echo fails while the SA looks up, tunneld
#    asks charon for a DPD at once (at most once per detect period): with
#    dpd_delay = 60s and the peer silenced, the SA is declared dead by the
#    DPD's retransmissions within seconds, long before charon's own DPD.
# Checked on tunnelctl -j paths, the kernel's route and charon's log.
#
#   health_vpn.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hvpn}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"

azure_netns gw az
netns_new ec
veth_pair gw vp0 203.0.113.1/24 ec eth0 203.0.113.2/24
# ec answers echo; "hush" makes it silent
nsx ec nft -f - <<NFT || die "nftables in ec"
table inet cnt {
  counter echo { }
  chain input {
    type filter hook input priority 0; policy accept;
    icmp type echo-request counter name echo
  }
}
NFT
hush() { printf 'table inet hush {\n chain input {\n  type filter hook input priority -10;\n  icmp type echo-request drop\n }\n}\n' | nsx ec nft -f -; }
unhush() { nsx ec nft delete table inet hush; }

azure_gateway_conf "$T_DIR/peer.conf" health-vpn-test
# charon's own DPD would take 60 s: anything sooner is tunneld's request
azure_site_conf "$T_DIR/swanctl.conf" health-vpn-test "dpd_delay = 60s"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "retransmit_timeout = 1" "retransmit_tries = 2" \
  "retransmit_base = 1.5"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        vpn {
          type = vpn
          child = azure.sensors
          dev = vp0
          min_good = 1s
          dpd_on_failure = yes
          echo {
            type = icmp
            target = 203.0.113.2
            interval = 200ms
            timeout = 500ms
            window = 5
          }
        }
      }
    }
  }
}
CONF
# the peer is not running yet: the SA cannot come up
tunneld_start gw

check "echo answers (loss 0 over a full window)" \
  wait_for 10 "echo valid" sh -c "$(declare -f pq p_is tctl); TUNNELCTL=$TUNNELCTL T_DIR=$T_DIR; \
    p_is gw azure vpn echo.valid true && p_is gw azure vpn echo.loss_pct 0"
check "the VPN path is down while its SA is not up" p_is gw azure vpn state down
check "... and says why" p_has gw azure vpn reason "SA down (azure.sensors)"
check "no active path: the site has none" p_is gw azure site: active "[]"
blackholed() { nsx gw ip route get 100.64.2.1 from 100.64.1.1 2>&1 | grep -q 'Invalid argument'; }
check "the kernel's lookup ends in the site's blackhole (fail closed)" blackholed

charon_peer_start az "$T_DIR/peer.conf"
check "CHILD_SA up" wait_for 40 "child up" child_is gw azure sensors up
check "the VPN path is up" wait_for 5 "vpn up" p_is gw azure vpn state up
check "sa state in the paths document" p_is gw azure vpn sa.state up
check "the site is carried by the VPN path (route via vp0)" \
  wait_for 5 "route vp0" route_dev vp0

# the far end goes silent: echo fails while the SA still looks up, IKE dropped
drop_ike az hvdrop
hush
t0=$(now_ms)
check "tunneld asks charon for a DPD" wait_for 5 "DPD requested" \
  grep -q "probes fail while IKE_SA azure\[[0-9]*\] is up: sending DPD" "$T_DIR/gw/tunneld.log"
check "charon sends it (an INFORMATIONAL request)" wait_for 5 "informational" \
  grep -q "generating INFORMATIONAL request" "$T_DIR/gw/tunneld.log"
check "the SA is declared dead by the DPD's retransmissions, long before dpd_delay (60 s)" \
  wait_for 20 "child down" child_is gw azure sensors down
log "SA down $(($(now_ms) - t0)) ms after the far end went silent"
check "the VPN path is down (SA down)" wait_for 5 "vpn down" p_has gw azure vpn reason "SA down"
check "fail closed again" wait_for 5 "blackhole" blackholed
# at most one request per detect period (3 echo intervals = 600 ms) while failing
n=$(grep -c "probes fail while the SA is up: DPD requested" "$T_DIR/gw/tunneld.log")
elapsed=$(($(now_ms) - t0))
check "DPD requests ($n in $elapsed ms) at most one per 600 ms" \
  test "$n" -ge 1 -a "$n" -le $((elapsed / 600 + 1))

undrop_ike az hvdrop
unhush
check "tunneld stops cleanly" tunneld_stop gw
finish
