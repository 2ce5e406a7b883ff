#!/usr/bin/env bash
# A site prefix that contains the VPN peer's own address (198.51.100.0/25
# with the peer at 198.51.100.2) must not deadlock the tunnel: with the
# peer's address as an engine bypass (a throw route in table 1160) IKE and
# ESP-in-UDP keep going through the main table while the rest of the prefix
# is routed by the engine (first a blackhole while ipsec0 does not exist,
# then ipsec0). tunneld brings the tunnel up with Debian's stock charon and
# it stays up (DPD every 2 s answered, pings cross it). tunneld -n refuses
# the same prefix in tunneld.routes (the check of the configuration); the
# engine is driven here through its API (routes_driver), which is how the
# configuration check is bypassed. ROUTES_PEER_NO_BYPASS=1 leaves the
# bypass out: the tunnel never comes up (the deadlock this test guards).
#
#   routes_peer.sh TUNNELD TUNNELCTL REPO_DIR   (ROUTES_DRIVER in the environment)
TEST=${TEST:-rtpeer}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
: "${ROUTES_DRIVER:?ROUTES_DRIVER must point to routes_driver}"
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"

azure_netns gw az
azure_gateway_conf "$T_DIR/peer.conf" routes-peer-test
azure_site_conf "$T_DIR/swanctl.conf" routes-peer-test "dpd_delay = 2s"
charon_peer_start az "$T_DIR/peer.conf"

# the check of the configuration refuses the prefix
tunneld_write_conf check "$T_DIR/swanctl.conf"
cat >>"$T_DIR/check/tunneld.conf" <<CONF
tunneld {
  routes {
    sites {
      azure {
        prefixes = 100.64.2.0/24, 198.51.100.0/25
        paths {
          vpn {
            dev = ipsec0
            child = azure.sensors
          }
        }
      }
    }
  }
}
CONF
ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/check/tunneld.conf" >"$T_DIR/check.out" 2>&1
echo $? >"$T_DIR/check.rc"
check "tunneld -n refuses a prefix containing the peer, naming site, prefix, peer and connection" \
  sh -c "[ \$(cat '$T_DIR/check.rc') = 1 ] && grep -qF 'tunneld.routes.sites.azure.prefixes: prefix 198.51.100.0/25 contains 198.51.100.2, the remote address of connection '\''azure'\''' '$T_DIR/check.out'"

# the engine, through its API: the site holds the peer's subnet half
bypass='"bypass": ["198.51.100.2"],'
[ "${ROUTES_PEER_NO_BYPASS:-0}" = 1 ] && bypass=''
cat >"$T_DIR/state.json" <<JSON
{ "table": 1160, $bypass
  "sites": [{"name": "azure", "prefixes": ["198.51.100.0/25"],
             "paths": [{"name": "vpn", "dev": "ipsec0"}]}] }
JSON
spawn "$T_DIR/driver.log" ip netns exec "$TEST-gw" "$ROUTES_DRIVER" run "$T_DIR/state.json"
wait_for 10 "driver ready" grep -q '^ready' "$T_DIR/driver.log" || die "driver: $(cat "$T_DIR/driver.log")"
dropped() { nsx gw ip route get "$1" 2>&1 | grep -q 'Invalid argument'; }
check "before ipsec0 exists the site fails closed (blackhole)" dropped 198.51.100.3
via_eth0() { nsx gw ip route get 198.51.100.2 | grep -q 'dev eth0'; }
[ -n "$bypass" ] && check "the peer's own address resolves through the main table (eth0)" via_eth0

# tunneld (no routes of its own) brings the tunnel up through the engine's table
tunneld_write_conf gw "$T_DIR/swanctl.conf" "retransmit_timeout = 1" "retransmit_tries = 2" \
  "retransmit_base = 1.5"
tunneld_start gw
check "the tunnel comes up with the peer inside the site's prefix" \
  wait_for 30 "tunnel up" child_is gw azure sensors up
dev_ipsec0() { nsx gw ip route get 198.51.100.3 | grep -q 'dev ipsec0'; }
check "the rest of the prefix goes into the tunnel (ipsec0)" wait_for 5 "via ipsec0" dev_ipsec0
check "the peer's own address still resolves through eth0" via_eth0
uid=$(sa_child gw azure sensors unique_id 2>/dev/null)
# it stays up: DPD requests (every 2 s) are answered through the bypass
dpd_answers() { [ "$(grep -c 'parsed INFORMATIONAL response' "$T_DIR/gw/tunneld.log")" -ge "$1" ]; }
base=$(grep -c 'parsed INFORMATIONAL response' "$T_DIR/gw/tunneld.log")
check "three more DPD exchanges answered" wait_for 20 "DPD answers" dpd_answers $((base + 3))
check "the CHILD_SA is still up, the same one" \
  sh -c "[ \"\$1\" = up ] && [ \"\$2\" = '$uid' ]" _ "$(sa_child gw azure sensors state)" \
  "$(sa_child gw azure sensors unique_id)"
check "no down reason recorded" test "$(sa_child gw azure sensors last_down)" = None
check "a ping crosses the tunnel" nsx gw ping -c 1 -W 2 -I 100.64.1.1 100.64.2.1
check "tunneld stops cleanly" tunneld_stop gw
finish
