#!/bin/bash
# CPU cost of N BFD sessions (N = 10, 100, 500) at 20 ms x 3: bfd_speaker
# (health/bfd) in one namespace against BIRD 2 running the same N sessions in
# another, in the same run. Each daemon's CPU time is read from
# /proc/PID/task/*/schedstat (nanoseconds on a CPU, all threads) over a fixed window once every
# session is Up; prints the ratio per session (goal <= 1.0x BIRD).
#   bench/bfd/run.sh path/to/bfd_speaker [window_s] [N...]
set -u
SPEAKER=${1:?usage: run.sh path/to/bfd_speaker [window_s] [N...]}
WINDOW=${2:-10}
shift $(($# > 1 ? 2 : 1))
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(10 100 500)
TEST=bfdbench
source "$(dirname "$0")/../../tests/lib/common.sh"
command -v bird >/dev/null || die "bird (Debian bird2) is not installed"

# cpu_ns PID -> nanoseconds on a CPU of every thread of PID (BIRD runs BFD in
# a thread of its own)
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'; }
# bird_up -> number of BIRD's sessions in state Up
bird_up() { nsx b birdc -s "$T_DIR/bird.ctl" show bfd sessions | awk '$3 == "Up"' | wc -l; }

run_one() {
  local n=$1 i a
  netns_new a
  netns_new b
  veth_pair a a0 100.64.0.1/22 b b0 100.64.3.254/22
  : >"$T_DIR/addrs"
  : >"$T_DIR/sessions"
  {
    echo "router id 100.64.3.254;"
    echo "protocol device { }"
    echo "protocol bfd {"
    echo '  interface "b0" { min rx interval 20 ms; min tx interval 20 ms; multiplier 3; };'
  } >"$T_DIR/bird.conf"
  for ((i = 1; i <= n; i++)); do
    a=100.64.$((i / 250)).$((i % 250 + 1))
    [ "$i" -gt 1 ] && echo "address add $a/22 dev a0" >>"$T_DIR/addrs"
    [ "$i" -eq 1 ] && a=100.64.0.1
    echo "remote=100.64.3.254,local=$a,dev=a0,tx=20ms,rx=20ms,mult=3" >>"$T_DIR/sessions"
    echo "  neighbor $a dev \"b0\" local 100.64.3.254;" >>"$T_DIR/bird.conf"
  done
  echo "}" >>"$T_DIR/bird.conf"
  [ -s "$T_DIR/addrs" ] && nsx a ip -batch "$T_DIR/addrs"
  spawn "$T_DIR/bird-$n.log" ip netns exec "$TEST-b" bird -f -c "$T_DIR/bird.conf" \
    -s "$T_DIR/bird.ctl" -P "$T_DIR/bird.pid"
  local bird=$LAST_PID
  wait_for 10 "BIRD's socket" test -S "$T_DIR/bird.ctl" || die "BIRD did not start"
  spawn "$T_DIR/speaker-$n.json" ip netns exec "$TEST-a" "$SPEAKER" -f "$T_DIR/sessions"
  local ours=$LAST_PID
  wait_for 60 "$n sessions Up" sh -c "[ \$(ip netns exec $TEST-b birdc -s $T_DIR/bird.ctl show bfd sessions | awk '\$3 == \"Up\"' | wc -l) -eq $n ]" ||
    die "not every session came up ($(bird_up) of $n)"
  local lines0 o0 b0 o1 b1 changes new
  lines0=$(wc -l <"$T_DIR/speaker-$n.json")
  o0=$(cpu_ns "$ours")
  b0=$(cpu_ns "$bird")
  sleep "$WINDOW" # the measuring window itself, not a wait for state
  o1=$(cpu_ns "$ours")
  b1=$(cpu_ns "$bird")
  new=$(tail -n +$((lines0 + 1)) "$T_DIR/speaker-$n.json" | grep '"event":"state"')
  changes=$(grep -c . <<<"$new")
  # flaps in the window (a CPU-starved machine misses 60 ms deadlines): ours
  # (diag 1: we timed out) and BIRD's (diag 3: it timed out and told us)
  local ours_to birds_to
  ours_to=$(grep -c '"state":"down","local_diag":1,' <<<"$new")
  birds_to=$(grep -c '"state":"down","local_diag":3,' <<<"$new")
  log "N=$n: $changes state changes in the window: $ours_to detection timeouts of ours, $birds_to of BIRD's"
  awk -v n="$n" -v w="$WINDOW" -v o=$((o1 - o0)) -v b=$((b1 - b0)) 'BEGIN {
    printf "N=%-4d window %ds  tunneld bfd %8.1f ms CPU (%6.2f us/s per session)  BIRD %8.1f ms CPU (%6.2f us/s per session)  ratio %.2fx\n",
      n, w, o / 1e6, o / 1e3 / w / n, b / 1e6, b / 1e3 / w / n, b ? o / b : 0 }'
  kill -TERM "$ours" "$bird"
  wait "$ours" "$bird" 2>/dev/null
  for ns in a b; do ip netns del "$TEST-$ns"; done
  T_NETNS=()
  rm -f "$T_DIR/bird.ctl"
}

log "kernel $(uname -r), $(nproc) CPUs, $(bird --version 2>&1 | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${COUNTS[@]}"; do run_one "$n"; done
T_CHECKS=1 # finish() requires an assertion: the runs themselves
finish
