#!/usr/bin/env bash
# tunneld lab (first stage): a sensor gateway in "AWS" brings up a
# site-to-site IPsec tunnel to a stand-in Azure VPN gateway (Debian's stock
# strongSwan) in network namespaces on this machine, then shows the SA table.
#
#   lab/demo.sh            build if needed, run the demo, print the state, tear down
#   lab/demo.sh --keep     leave it running to explore (prints the commands)
#   lab/demo.sh --down     remove a kept lab
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
keep=0
case "${1:-}" in
  --keep) keep=1 ;;
  --down)
    for ns in lab-gw lab-az; do ip netns del "$ns" 2>/dev/null || true; done
    for f in /run/tunneld-lab/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    rm -rf /run/tunneld-lab; echo "lab removed"; exit 0 ;;
  "") ;;
  *) echo "usage: lab/demo.sh [--keep|--down]" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "lab/demo.sh: run as root (network namespaces)" >&2; exit 1; }

if [ ! -x "$repo/build/tunneld/tunneld" ]; then
  bash "$repo/scripts/install-deps.sh"
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$repo/build" -j2
fi
TUNNELD=$repo/build/tunneld/tunneld
TUNNELCTL=$repo/build/tunnelctl/tunnelctl

TEST=lab
REPO=$repo
if [ $keep = 1 ]; then export KEEP_TEST_DIR=1; fi
. "$repo/tests/lib/common.sh"
. "$repo/tests/lib/peers.sh"
. "$repo/tests/lib/azure.sh"
. "$repo/tests/integration/tunneld_env.sh"
if [ $keep = 1 ]; then
  # hand the lab over instead of removing it at exit
  trap - EXIT
fi

log "network: sensor gateway lab-gw 198.51.100.1 <-> 198.51.100.2 lab-az (Azure VPN gateway)"
azure_netns gw az    # sensors 100.64.1.0/24 on lab-gw, the Azure VNet 100.64.2.0/24 on lab-az
psk=0s$(head -c 24 /dev/urandom | base64)
azure_gateway_conf "$T_DIR/azure-gw.conf" "$psk"
azure_site_conf "$T_DIR/swanctl.conf" "$psk"
log "starting the stand-in Azure VPN gateway (stock strongSwan charon)"
charon_peer_start az "$T_DIR/azure-gw.conf"
log "starting tunneld (Azure preset, kernel-libipsec data plane)"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw
wait_for 30 "tunnel up" child_is gw azure sensors up || die "the tunnel did not come up: $T_DIR/gw/tunneld.log"
nsx gw ping -c 3 -i 0.2 -I 100.64.1.1 100.64.2.1
sleep 1.2   # one counters refresh
echo; echo "== tunnelctl sa"
tctl gw sa
echo; echo "== swanctl --list-sas (Debian's swanctl against tunneld's vici socket)"
tunneld_swanctl gw --list-sas
if [ $keep = 1 ]; then
  cat <<MSG

The lab keeps running. Try:
  $TUNNELCTL -s $T_DIR/gw/ctl sa
  $TUNNELCTL -s $T_DIR/gw/ctl -j sa
  swanctl --list-sas --uri unix://$T_DIR/gw/vici
  ip netns exec lab-gw ping -I 100.64.1.1 100.64.2.1
Logs: $T_DIR/gw/tunneld.log   Remove it: $repo/lab/demo.sh --down
MSG
  mkdir -p /run/tunneld-lab
  echo "$TUNNELD_PID_gw" > /run/tunneld-lab/tunneld.pid
  eval "echo \$PEER_PID_az" > /run/tunneld-lab/peer.pid
fi
