#!/bin/bash
# Echo probes measure the loss the kernel inflicts: nftables drops N % of the
# echo requests at random (numgen random mod 100 < N) at the target. Each
# probe sends exactly 400 requests (window 400), so its loss is over those
# 400: it must equal the number the drop rule counted, exactly, and lie
# within 4 standard deviations of N % (binomial: sqrt(N(100-N)/400) %; a
# false failure about once in 16,000 runs). ICMP over IPv4 and IPv6, UDP echo
# (RFC 862, udp_echo_delay without delay) over IPv4; and no drop: 0 %.
TEST=eloss
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/echo_lib.sh"

netns_new a
netns_new b
veth_pair a e0 192.0.2.1/24 b e1 192.0.2.2/24
ip -n "$TEST-a" addr add 2001:db8:e1::1/64 dev e0 nodad
ip -n "$TEST-b" addr add 2001:db8:e1::2/64 dev e1 nodad
spawn "$T_DIR/udp.log" ip netns exec "$TEST-b" "$UDP_ECHO_DELAY" -l 192.0.2.2 -p 7007 -d 0 -L 120
wait_for 5 "udp_echo_delay ready" grep -q ready "$T_DIR/udp.log" || die "udp_echo_delay did not start"

N4=25 N6=30 NU=10 M=400
nsx b nft -f - <<NFT || die "nft"
table inet eloss {
  counter d4 {}
  counter d6 {}
  counter du {}
  counter in4 {}
  chain in {
    type filter hook input priority 0;
    icmp type echo-request counter name in4
    icmp type echo-request numgen random mod 100 < $N4 counter name d4 drop
    icmpv6 type echo-request numgen random mod 100 < $N6 counter name d6 drop
    udp dport 7007 numgen random mod 100 < $NU counter name du drop
  }
}
NFT

probe="interval=10,timeout=300,window=$M,count=$M"
run_probes "$T_DIR/out" a -q -c $M -t 60 \
  "name=i4,type=icmp,target=192.0.2.2,$probe" \
  "name=i6,type=icmp,target=2001:db8:e1::2,$probe" \
  "name=u4,type=udp,target=192.0.2.2,port=7007,$probe"
cat "$T_DIR/out"

# sd_tol N -> 4 standard deviations of the loss % of M probes at N %
sd_tol() { awk -v n="$1" -v m=$M 'BEGIN { printf "%.3f", 4 * sqrt(n * (100 - n) / m) }'; }
check_probe() { # NAME COUNTER N
  local p=$1 c=$2 n=$3
  local sent recv loss dropped tol
  sent=$(final "$T_DIR/out" "$p" sent)
  recv=$(final "$T_DIR/out" "$p" received)
  loss=$(final "$T_DIR/out" "$p" loss_pct)
  dropped=$(nft_counter b eloss "$c")
  tol=$(sd_tol "$n")
  check "$p: $M probes in the window (got $sent)" [ "$sent" = $M ]
  check "$p: lost = dropped by nft exactly ($((sent - recv)) vs $dropped)" \
    [ "$((sent - recv))" = "$dropped" ]
  check "$p: loss $loss % within $tol of $n %" within "$loss" "$n" "$tol"
  check "$p: figures valid" [ "$(final "$T_DIR/out" "$p" valid)" = true ]
}
check_probe i4 d4 $N4
check_probe i6 d6 $N6
check_probe u4 du $NU
check "every IPv4 request reached the target's input ($(nft_counter b eloss in4))" \
  [ "$(nft_counter b eloss in4)" = $M ]

# no drop: nothing lost
nsx b nft delete table inet eloss
run_probes "$T_DIR/out0" a -q -c 100 -t 30 \
  "name=i4,type=icmp,target=192.0.2.2,interval=10,timeout=300,window=100,count=100" \
  "name=u4,type=udp,target=192.0.2.2,port=7007,interval=10,timeout=300,window=100,count=100"
for p in i4 u4; do
  check "$p without drop: 100 probes in the window" [ "$(final "$T_DIR/out0" $p sent)" = 100 ]
  check "$p without drop: 0 % loss" within "$(final "$T_DIR/out0" $p loss_pct)" 0 0
done
finish
