#!/bin/bash
# Failover blackout: tunneld against BIRD 2 doing the same job, same topology,
# same run (issue 9, "Measure").
#
#   bench/failover/run.sh FLOW_BINARY TUNNELD_BINARY|- PREFIXES [ROUNDS]
#
# Topology (namespaces named after TEST=fobench):
#   sens (100.64.0.2) -- gw (the router under test) --er0-- az (100.64.1.2)
#                                                   --bk0-- az (100.64.2.2)
# The site's PREFIXES /32 routes start at 100.100.0.0; az takes them all as
# local addresses. A flow from sens sends a datagram every 0.5 ms to the
# first, the middle and the last prefix. After 1.5 s the primary (er) is cut
# by an nftables drop of everything arriving on az's er link (BFD included);
# the blackout of each destination is its largest arrival gap.
#
# BIRD: primary as static routes "via 100.64.1.2 bfd", backup as a static
# protocol of lower preference, BFD 20 ms x 3 against a BIRD in az.
# tunneld: one site, path er (gateway4 100.64.1.2, priority 10, BFD 20 ms x 3)
# and path bk (gateway4 100.64.2.2, priority 20), the same BIRD in az.
# Prints a JSON line per run and the ratios tunneld/BIRD.
set -u
FLOW=${1:?usage: run.sh FLOW_BINARY TUNNELD_BINARY|- PREFIXES [ROUNDS]}
TUNNELD=${2:?tunneld binary or -}
NPFX=${3:?number of prefixes}
ROUNDS=${4:-1}
TEST=fobench
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/tests/lib/common.sh"
source "$REPO/tests/integration/tunneld_env.sh"

pfx_addr() { # index -> 100.100.x.y
  local i=$1
  echo "100.$((100 + i / 65536)).$(((i / 256) % 256)).$((i % 256))"
}
FIRST=$(pfx_addr 0)
MIDDLE=$(pfx_addr $((NPFX / 2)))
LAST=$(pfx_addr $((NPFX - 1)))

topology() {
  for ns in sens gw az; do netns_new $ns; done
  veth_pair sens s0 100.64.0.2/30 gw sensor0 100.64.0.1/30
  veth_pair gw er0 100.64.1.1/30 az er 100.64.1.2/30
  veth_pair gw bk0 100.64.2.1/30 az bk 100.64.2.2/30
  nsx sens ip route add default via 100.64.0.1
  nsx gw sysctl -qw net.ipv4.ip_forward=1
  for k in all default er bk; do nsx az sysctl -qw net.ipv4.conf.$k.rp_filter=0; done
  nsx az ip route add local 100.100.0.0/14 dev lo
  nsx az ip route add 100.64.0.0/30 via 100.64.1.1
}

az_bird() {
  cat >"$T_DIR/az.conf" <<CONF
router id 100.64.1.2;
protocol device {}
protocol bfd {
  interface "er" { interval 20 ms; multiplier 3; };
  neighbor 100.64.1.1 dev "er";
}
CONF
  spawn "$T_DIR/az.log" nsx az bird -f -c "$T_DIR/az.conf" -s "$T_DIR/az.ctl" -P "$T_DIR/az.pid"
}

gw_bird() {
  {
    echo 'router id 100.64.1.1;'
    echo 'protocol device {}'
    echo 'protocol bfd { interface "er0" { interval 20 ms; multiplier 3; }; }'
    echo 'protocol kernel { ipv4 { export all; }; merge paths off; }'
    echo 'protocol static er { ipv4 { preference 200; };'
    for ((i = 0; i < NPFX; i++)); do echo "route $(pfx_addr $i)/32 via 100.64.1.2 bfd;"; done
    echo '}'
    echo 'protocol static bk { ipv4 { preference 100; };'
    for ((i = 0; i < NPFX; i++)); do echo "route $(pfx_addr $i)/32 via 100.64.2.2;"; done
    echo '}'
  } >"$T_DIR/gw.conf"
  spawn "$T_DIR/gw.log" nsx gw bird -f -c "$T_DIR/gw.conf" -s "$T_DIR/gw.ctl" -P "$T_DIR/gw.pid"
  GW_PID=$LAST_PID
}

gw_tunneld() {
  local sites="$T_DIR/sites.conf" i
  for ((i = 0; i < NPFX; i++)); do echo "$(pfx_addr $i)/32"; done >"$T_DIR/prefixes.txt"
  {
    echo 'sites {'
    echo '  azure {'
    echo "    prefixes_file = $T_DIR/prefixes.txt"
    echo '    paths {'
    echo '      er {'
    echo '        type = expressroute'
    echo '        dev = er0'
    echo '        gateway4 = 100.64.1.2'
    echo '        priority = 10'
    echo '        bfd {'
    echo '          remote = 100.64.1.2'
    echo '          min_tx = 20ms'
    echo '          min_rx = 20ms'
    echo '          multiplier = 3'
    echo '        }'
    echo '      }'
    echo '      bk {'
    echo '        type = expressroute'
    echo '        dev = bk0'
    echo '        gateway4 = 100.64.2.2'
    echo '        priority = 20'
    echo '      }'
    echo '    }'
    echo '  }'
    echo '}'
  } >"$sites"
  # no connections: an empty connections file, root only
  : >"$T_DIR/swanctl.conf"
  chmod 600 "$T_DIR/swanctl.conf"
  tunneld_write_conf gw "$T_DIR/swanctl.conf" "include $sites"
  tunneld_start gw
  eval "GW_PID=\$TUNNELD_PID_gw"
}

routed_via() { # $1: next hop expected for the last prefix
  nsx gw ip route get "$LAST" | grep -q "via $1"
}

cut_primary() {
  nsx az nft -f - <<NFT
table inet fobench_cut {
  chain pre { type filter hook prerouting priority -300; iifname "er" drop; }
}
NFT
}

one_round() { # $1: bird|tunneld -> prints the receiver's JSON lines
  local mode=$1
  topology
  az_bird
  if [ "$mode" = bird ]; then gw_bird; else gw_tunneld; fi
  wait_for 120 "$mode routes the site via er" routed_via 100.64.1.2 || die "$mode: site not routed via er ($(tail -3 "$T_DIR/gw.log"))"
  rm -f "$T_DIR/ready"
  spawn "$T_DIR/recv.json" nsx az "$FLOW" recv 9999 3000 3 "$T_DIR/ready"
  local recv=$LAST_PID
  wait_for 5 "receiver ready" test -e "$T_DIR/ready" || die "receiver did not start"
  spawn "$T_DIR/send.json" nsx sens "$FLOW" send 9999 500 2500 "$FIRST" "$MIDDLE" "$LAST"
  local send=$LAST_PID
  sleep 1.5 # the flow runs steadily before the cut (this is a measurement, not a check)
  routed_via 100.64.1.2 || die "$mode: the site left er before the cut: $(nsx gw ip route get "$LAST")"
  cut_primary
  wait "$send" "$recv"
  wait_for 5 "$mode moved the site to bk" routed_via 100.64.2.2 || die "$mode: not on bk after the cut"
  sed "s/^/{\"mode\":\"$mode\",\"prefixes\":$NPFX,\"r\":/; s/\$/}/" "$T_DIR/recv.json"
  kill "$GW_PID" 2>/dev/null
  wait "$GW_PID" 2>/dev/null
  cleanup_all_netns
}

cleanup_all_netns() {
  for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for ns in "${T_NETNS[@]}"; do netns_kill_all "$ns"; ip netns del "$ns" 2>/dev/null; done
  T_PIDS=() T_NETNS=()
}

out="$T_DIR/results.json"
for ((r = 0; r < ROUNDS; r++)); do
  one_round bird >>"$out"
  [ "$TUNNELD" != - ] && one_round tunneld >>"$out"
done
cat "$out"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = ["first", "middle", "last"]
worst = {}
for r in rows:
    k = (r["mode"], r["r"]["flow"])
    worst[k] = max(worst.get(k, 0), r["r"]["max_gap_us"])
for i, n in enumerate(names):
    b = worst.get(("bird", i))
    t = worst.get(("tunneld", i))
    line = f"{n:6s}: BIRD {b/1000:.1f} ms" if b else f"{n}: BIRD -"
    if t is not None:
        line += f", tunneld {t/1000:.1f} ms, ratio {t/b:.2f}x" if b else f", tunneld {t/1000:.1f} ms"
    print(line)
wb = max((v for (m, _), v in worst.items() if m == "bird"), default=None)
wt = max((v for (m, _), v in worst.items() if m == "tunneld"), default=None)
if wb and wt:
    print(f"worst : BIRD {wb/1000:.1f} ms, tunneld {wt/1000:.1f} ms, ratio {wt/wb:.2f}x")
PY
T_CHECKS=1 # a measurement: finish() needs one assertion (the runs completed)
finish
