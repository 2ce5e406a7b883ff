#!/usr/bin/env bash
# tunneld lab (first stage): a sensor gateway in "AWS" brings up a
# site-to-site IPsec tunnel to a stand-in Azure VPN gateway (Debian's stock
# strongSwan) in network namespaces on this machine, then shows the SA table.
#
#   lab/demo.sh            build if needed, run the demo, print the state, tear down
#   lab/demo.sh --keep     leave it running to explore (prints the commands)
#   lab/demo.sh --down     remove a kept lab
#
# TEST_PREFIX (as for the tests) prefixes the namespaces, so that two
# checkouts can each keep a lab: give --down the same prefix.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
lab=${TEST_PREFIX:-}lab
state=/run/tunneld-$lab # where a kept lab is recorded (its log directory)

# lab_down -> stops what runs in the lab's namespaces (only the lab's own
# processes live there), removes the namespaces and the kept logs
lab_down() {
  local ns p pids=() dir
  for ns in "$lab-gw" "$lab-az"; do
    [ -e "/run/netns/$ns" ] || continue
    for p in $(ip netns pids "$ns"); do pids+=("$p"); done
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ $left = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for ns in "$lab-gw" "$lab-az"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ -f "$state/dir" ]; then
    dir=$(cat "$state/dir")
    # only a log directory the lab made (no further path components)
    case $dir in /tmp/tunneld-test-"$lab".*/*) ;; /tmp/tunneld-test-"$lab".*) rm -rf "$dir" ;; esac
  fi
  rm -rf "$state"
}

keep=0
case "${1:-}" in
  --keep) keep=1 ;;
  --down)
    [ "$(id -u)" = 0 ] || { echo "lab/demo.sh: run as root (network namespaces)" >&2; exit 1; }
    lab_down
    echo "lab removed (namespaces $lab-gw and $lab-az, their processes and logs)"
    exit 0 ;;
  "") ;;
  *) echo "usage: lab/demo.sh [--keep|--down]" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "lab/demo.sh: run as root (network namespaces)" >&2; exit 1; }
# a lab kept earlier is replaced, not left running beside this one
[ -e "$state" ] && { echo "removing the lab kept earlier"; lab_down; }

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

log "network: sensor gateway $lab-gw 198.51.100.1 <-> 198.51.100.2 $lab-az (Azure VPN gateway)"
azure_netns gw az # sensors 100.64.1.0/24 on $lab-gw, the Azure VNet 100.64.2.0/24 on $lab-az
psk=0s$(head -c 24 /dev/urandom | base64)
azure_gateway_conf "$T_DIR/azure-gw.conf" "$psk"
azure_site_conf "$T_DIR/swanctl.conf" "$psk"
log "starting the stand-in Azure VPN gateway (stock strongSwan charon)"
charon_peer_start az "$T_DIR/azure-gw.conf"
log "starting tunneld (Azure preset, kernel-libipsec data plane)"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw
wait_for 30 "tunnel up" child_is gw azure sensors up || die "the tunnel did not come up: $T_DIR/gw/tunneld.log"
log "tunnel up: pinging the Azure side (100.64.2.1) from the sensors' address (100.64.1.1)"
nsx gw ping -c 3 -i 0.2 -W 2 -I 100.64.1.1 100.64.2.1
# the table's counters are refreshed every stats_interval (1 s here)
counted() { [ "$(sa_child gw azure sensors packets_out)" -ge 3 ]; }
wait_for 5 "counters" counted || log "the counters have not caught up with the pings yet"
echo; echo "== tunnelctl sa"
tctl gw sa
echo; echo "== swanctl --list-sas (Debian's swanctl against tunneld's vici socket)"
tunneld_swanctl gw --list-sas
if [ $keep = 1 ]; then
  mkdir -p "$state"
  echo "$T_DIR" >"$state/dir"
  # hand the lab over instead of removing it at exit
  trap - EXIT
  cat <<MSG

The lab keeps running (tunneld pid $TUNNELD_PID_gw in $lab-gw, stock charon in $lab-az). Try:
  $TUNNELCTL -s $T_DIR/gw/ctl sa
  $TUNNELCTL -s $T_DIR/gw/ctl -j sa
  swanctl --list-sas --uri unix://$T_DIR/gw/vici
  ip netns exec $lab-gw ping -c 3 -I 100.64.1.1 100.64.2.1
  ip netns exec $lab-gw ip route get 100.64.2.1 from 100.64.1.1
Settings: $T_DIR/gw/tunneld.conf and $T_DIR/swanctl.conf (reload: kill -HUP $TUNNELD_PID_gw)
Logs: $T_DIR/gw/tunneld.log (the peer's: $T_DIR/az/charon.log)
Remove it: ${TEST_PREFIX:+TEST_PREFIX=$TEST_PREFIX }$repo/lab/demo.sh --down
MSG
else
  log "done; the lab is removed on exit (lab/demo.sh --keep leaves it running)"
fi
