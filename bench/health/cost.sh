#!/bin/bash
# CPU cost of path health in tunneld: N paths (default 100), each with BFD at
# 100 ms x 3 and an ICMP echo every second, against BIRD 2 (BFD) in another
# namespace that also answers the echoes (one far address; each path
# speaks from an address of its own, as BIRD's BFD tells sessions apart). tunneld's CPU time (every thread,
# /proc/PID/task/*/schedstat) over a window once every path is up, as a
# share of one core (goal <= 2 %), and BIRD's for the same sessions.
#   bench/health/cost.sh path/to/tunneld path/to/tunnelctl [N] [WINDOW_S]
set -u
TUNNELD=${1:?usage: cost.sh path/to/tunneld path/to/tunnelctl [N] [WINDOW_S]}
TUNNELCTL=${2:?tunnelctl}
export TUNNELD TUNNELCTL
N=${3:-100}
WINDOW=${4:-20}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TEST=hcost
source "$REPO/tests/lib/common.sh"
source "$REPO/tests/integration/tunneld_env.sh"

cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'; }
near() { echo "100.64.1.$(($1 + 1))"; }
FAR=100.64.3.254

netns_new a
netns_new b
veth_pair a a0 100.64.0.1/22 b b0 100.64.3.254/22
{
  echo "router id 100.64.3.254;"
  echo "protocol device { }"
  echo "protocol bfd {"
  echo '  interface "b0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };'
  for ((i = 0; i < N; i++)); do
    nsx a ip addr add "$(near $i)/22" dev a0
    echo "  neighbor $(near $i) dev \"b0\";"
  done
  echo "}"
} >"$T_DIR/bird.conf"
spawn "$T_DIR/bird.log" nsx b bird -f -c "$T_DIR/bird.conf" -s "$T_DIR/bird.ctl" -P "$T_DIR/bird.pid"
{
  echo "sites {"
  for ((i = 0; i < N; i++)); do
    cat <<SITE
  s$i {
    prefixes = 100.100.$i.0/24
    paths {
      p {
        dev = a0
        gateway4 = $FAR
        bfd {
          remote = $FAR
          local = $(near $i)
          min_tx = 100ms
          min_rx = 100ms
          multiplier = 3
        }
        echo {
          type = icmp
          target = $FAR
          source = $(near $i)
          interval = 1s
        }
      }
    }
  }
SITE
  done
  echo "}"
} >"$T_DIR/sites.conf"
: >"$T_DIR/swanctl.conf"
chmod 600 "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "include $T_DIR/sites.conf"
tunneld_start gw a
pid=$TUNNELD_PID_gw
# the spawned pid is the shell of ip netns exec: tunneld is its child, or itself
tpid=$(pgrep -P "$pid" -x tunneld || echo "$pid")

paths_up() {
  [ "$(tctl gw -j paths | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for s in d["sites"] for p in s["paths"] if p["state"]=="up" and p["bfd"]["state"]=="up"))')" -ge "$N" ]
}
wait_for 120 "all $N paths up with BFD up" paths_up || die "not every path came up"
bird_pid=$(cat "$T_DIR/bird.pid")
per_thread() { for t in /proc/"$1"/task/*; do echo "${t##*/} $(cat "$t/comm") $(awk '{print $1}' "$t/schedstat")"; done; }
per_thread "$tpid" >"$T_DIR/threads0"
t0=$(cpu_ns "$tpid") b0=$(cpu_ns "$bird_pid")
sleep "$WINDOW" # the measurement window (a measurement, not a check)
for t in /proc/"$tpid"/task/*; do echo "  wchan ${t##*/}: $(cat "$t/wchan")"; done
t1=$(cpu_ns "$tpid") b1=$(cpu_ns "$bird_pid")
per_thread "$tpid" >"$T_DIR/threads1"
join "$T_DIR/threads0" "$T_DIR/threads1" | awk -v w="$WINDOW" '{ d = ($5 - $3) / 1e9 / w * 100; if (d >= 0.05) printf "  thread %s (%s): %.2f %%\n", $1, $2, d }'

paths_up || log "a path left up during the window"
python3 - "$N" "$WINDOW" "$t0" "$t1" "$b0" "$b1" <<'PY'
import sys
n, w, t0, t1, b0, b1 = map(int, sys.argv[1:])
t = (t1 - t0) / 1e9 / w * 100
b = (b1 - b0) / 1e9 / w * 100
print(f"{n} paths, BFD 100 ms x 3 + ICMP echo 1/s each, {w} s window:")
print(f"  tunneld (all threads): {t:.2f} % of one core (goal <= 2 %)")
print(f"  BIRD (the {n} BFD sessions only, no echo): {b:.2f} % of one core")
PY
T_CHECKS=1 # a measurement: the run completed
finish
