#!/bin/bash
# bench/echo: CPU of the echo probes. 100 ICMP probes at 1/s (and 100 UDP
# probes at 1/s) from one process (echo_probe, one libev loop, as the health
# thread runs them) to 100 target addresses in another namespace, for
# SECONDS (default 60). Prints the CPU the probing process used as a share
# of one core (user + system time / wall time) and per probe; the kernel's
# work answering (the target namespace) is not counted. Not a test: figures,
# no assertion (goal of issue 9: with 100 BFD sessions at 100 ms, <= 2 % of
# one core in total).
#   bench/echo/echo_cpu.sh ECHO_PROBE [SECONDS]   (root)
set -u
PROBE=${1:?usage: echo_cpu.sh ECHO_PROBE [SECONDS]}
SECS=${2:-60}
NS=bench-echo-$$
cleanup() { ip netns del $NS-a 2>/dev/null; ip netns del $NS-b 2>/dev/null; }
trap cleanup EXIT
ip netns add $NS-a && ip netns add $NS-b || exit 1
ip -n $NS-a link set lo up
ip -n $NS-b link set lo up
ip -n $NS-a link add e0 type veth peer name e1 netns $NS-b
ip -n $NS-a addr add 100.64.0.1/16 dev e0
ip -n $NS-b addr add 100.64.0.2/16 dev e1
ip -n $NS-a link set e0 up
ip -n $NS-b link set e1 up
# 100 targets 100.64.1.1 .. 100.64.1.100, a UDP echo (the kernel cannot echo
# UDP: a responder without delay)
for i in $(seq 1 100); do ip -n $NS-b addr add 100.64.1.$i/32 dev e1; done
ip -n $NS-a route add 100.64.1.0/24 via 100.64.0.2
RESP=$(dirname "$PROBE")/udp_echo_delay
ip netns exec $NS-b "$RESP" -l 0.0.0.0 -p 7 -d 0 -L $((SECS * 2 + 30)) >/dev/null 2>&1 &
RPID=$!
# BENCH_DROP=1: the target drops the requests at its ingress (the cost of
# sending and timing out, without the reply path that veth runs in the
# sender's context)
[ "${BENCH_DROP:-0}" = 1 ] && ip netns exec $NS-b nft add table netdev d \; add chain netdev d in "{ type filter hook ingress device e1 priority 0; }" \; add rule netdev d in ip daddr 100.64.1.0/24 drop
run() { # KIND -> the rusage line of 100 probes of KIND
  local args=() i
  for i in $(seq 1 100); do
    args+=("name=p$i,type=$1,target=100.64.1.$i,interval=1000,timeout=2000,window=10")
  done
  ip netns exec $NS-a "$PROBE" -q -t "$SECS" "${args[@]}" | tail -1
}
# the same 100 ICMP probes as 100 iputils ping processes, in the same run:
# their CPU (children's user + system time, bash's times) is the reference
ping_cpu_ms() {
  ( for i in $(seq 1 100); do
      ip netns exec $NS-a ping -q -i 1 -W 2 -w "$SECS" 100.64.1.$i >/dev/null 2>&1 &
    done
    wait
    times ) | tail -1 | awk '{ split($1, u, "m"); split($2, s, "m");
      printf "%.1f", (u[1] * 60 + u[2]) * 1000 + (s[1] * 60 + s[2]) * 1000 }'
}
for kind in ${KINDS:-icmp udp}; do
  line=$(run $kind)
  jq -r --arg k $kind '"\($k): 100 probes at 1/s for \(.wall_ms/1000 | round) s: \(.cpu_ms) ms CPU = \(.cpu_pct) % of one core"' <<<"$line"
  [ $kind = icmp ] && ICMP_MS=$(jq -r .cpu_ms <<<"$line")
done
if [ -n "${ICMP_MS:-}" ]; then
  PING_MS=$(ping_cpu_ms)
  awk -v e="$ICMP_MS" -v p="$PING_MS" -v s="$SECS" 'BEGIN {
    printf "reference: 100 ping processes, same targets and time: %.1f ms CPU = %.3f %% of one core\n", p, p / (s * 10)
    printf "ratio echo_probe / ping: %.2f\n", e / p }'
fi
kill $RPID 2>/dev/null
wait $RPID 2>/dev/null
