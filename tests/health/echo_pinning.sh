#!/bin/bash
# Probe pinning at the socket level: two paths from the gateway (a) to one
# target (203.0.113.10 / 2001:db8:ff::10 on host d), one through router r1,
# one through r2. Policy routing in a: fwmark 1 -> table 101 (via r1), fwmark 2
# -> table 102 (via r2); the main table sends traffic via r1. Probes: m1 (mark
# 1), m2 (mark 2), main (no mark: follows traffic, r1), dev2 (no mark, bound to
# the r2 link and its source address), and m1v6/m2v6 over IPv6.
# Each router counts the echo requests it forwards: the routes taken are
# checked exactly. Then nftables drops echo requests on r2 only: only the
# probes pinned to r2 see loss (100 %), the others none; then on r1 only:
# the reverse.
TEST=epin
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/echo_lib.sh"

for n in a r1 r2 d; do netns_new $n; done
veth_pair a p1 198.51.100.1/30 r1 ra 198.51.100.2/30
veth_pair a p2 198.51.100.5/30 r2 ra 198.51.100.6/30
veth_pair r1 rd 198.51.100.9/30 d q1 198.51.100.10/30
veth_pair r2 rd 198.51.100.13/30 d q2 198.51.100.14/30
ip -n "$TEST-a" -6 addr add 2001:db8:a1::1/64 dev p1 nodad
ip -n "$TEST-r1" -6 addr add 2001:db8:a1::2/64 dev ra nodad
ip -n "$TEST-a" -6 addr add 2001:db8:a2::1/64 dev p2 nodad
ip -n "$TEST-r2" -6 addr add 2001:db8:a2::2/64 dev ra nodad
ip -n "$TEST-r1" -6 addr add 2001:db8:b1::1/64 dev rd nodad
ip -n "$TEST-d" -6 addr add 2001:db8:b1::2/64 dev q1 nodad
ip -n "$TEST-r2" -6 addr add 2001:db8:b2::1/64 dev rd nodad
ip -n "$TEST-d" -6 addr add 2001:db8:b2::2/64 dev q2 nodad
ip -n "$TEST-d" addr add 203.0.113.10/32 dev lo
ip -n "$TEST-d" -6 addr add 2001:db8:ff::10/128 dev lo
for r in r1 r2; do
  nsx $r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || die "forwarding on $r"
done
nsx d sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
# the way back: each source of a over the router it came through
nsx d ip route add 198.51.100.0/30 via 198.51.100.9
nsx d ip route add 198.51.100.4/30 via 198.51.100.13
nsx d ip -6 route add 2001:db8:a1::/64 via 2001:db8:b1::1
nsx d ip -6 route add 2001:db8:a2::/64 via 2001:db8:b2::1
for r in r1 r2; do
  nsx $r ip route add 203.0.113.10/32 via 198.51.100.$([ $r = r1 ] && echo 10 || echo 14)
  nsx $r ip -6 route add 2001:db8:ff::10/128 via 2001:db8:b$([ $r = r1 ] && echo 1 || echo 2)::2
done
# a: traffic via r1 in main (and a less preferred way via r2 for the bound probe)
nsx a ip route add 203.0.113.10/32 via 198.51.100.2 dev p1
nsx a ip route add 203.0.113.10/32 via 198.51.100.6 dev p2 metric 200
nsx a ip -6 route add 2001:db8:ff::10/128 via 2001:db8:a1::2 dev p1
for f in "" -6; do
  nsx a ip $f rule add fwmark 1 lookup 101 || die "ip $f rule"
  nsx a ip $f rule add fwmark 2 lookup 102 || die "ip $f rule"
done
nsx a ip route add 203.0.113.10/32 via 198.51.100.2 src 198.51.100.1 table 101
nsx a ip route add 203.0.113.10/32 via 198.51.100.6 src 198.51.100.5 table 102
nsx a ip -6 route add 2001:db8:ff::10/128 via 2001:db8:a1::2 src 2001:db8:a1::1 table 101
nsx a ip -6 route add 2001:db8:ff::10/128 via 2001:db8:a2::2 src 2001:db8:a2::1 table 102

# each router counts the echo requests it forwards; "cut" drops them
for r in r1 r2; do
  nsx $r nft -f - <<'NFT' || die "nft on $r"
table inet epin {
  counter fwd4 {}
  counter fwd6 {}
  chain cut {}
  chain through {
    type filter hook forward priority 0;
    icmp type echo-request counter name fwd4
    icmpv6 type echo-request counter name fwd6
    jump cut
  }
}
NFT
done
cut() { nsx "$1" nft add rule inet epin cut meta l4proto '{ icmp, ipv6-icmp }' drop; }
mend() { nsx "$1" nft flush chain inet epin cut; }

# IPv6 ready: no tentative address left (link-locals), both marked ways answer
settled() {
  local n
  for n in a r1 r2 d; do
    [ -z "$(ip -n "$TEST-$n" -6 addr show tentative)" ] || return 1
  done
  nsx a ping -6 -c 1 -W 1 -m 1 2001:db8:ff::10 && nsx a ping -6 -c 1 -W 1 -m 2 2001:db8:ff::10
}
wait_for 10 "IPv6 addresses settled" settled || die "IPv6 did not settle"

N=50
probe="interval=20,timeout=300,window=$N,count=$N"
PROBES=(m1 m2 main dev2 m1v6 m2v6)
# run_phase NAME -> runs every probe once (N each) into $T_DIR/NAME
run_phase() {
  run_probes "$T_DIR/$1" a -q -c $N -t 60 \
    "name=m1,type=icmp,target=203.0.113.10,mark=1,$probe" \
    "name=m2,type=icmp,target=203.0.113.10,mark=2,$probe" \
    "name=main,type=icmp,target=203.0.113.10,$probe" \
    "name=dev2,type=icmp,target=203.0.113.10,dev=p2,source=198.51.100.5,$probe" \
    "name=m1v6,type=icmp,target=2001:db8:ff::10,mark=1,$probe" \
    "name=m2v6,type=icmp,target=2001:db8:ff::10,mark=2,$probe"
}
# expect PHASE "PROBE=LOSS ..." -> each probe's loss over its N probes
expect() {
  local phase=$1 pl p l got
  for pl in $2; do
    p=${pl%=*} l=${pl#*=}
    got=$(final "$T_DIR/$phase" "$p" loss_pct)
    check "$phase: $p loss $got % (expected $l %) over $(final "$T_DIR/$phase" "$p" sent)" \
      within "${got:-x}" "$l" 0
  done
}
counts() { # -> "r1v4 r1v6 r2v4 r2v6"
  echo "$(nft_counter r1 epin fwd4) $(nft_counter r1 epin fwd6) $(nft_counter r2 epin fwd4) $(nft_counter r2 epin fwd6)"
}

read -r a4 a6 b4 b6 < <(counts)
run_phase both
read -r c4 c6 d4 d6 < <(counts)
expect both "m1=0 m2=0 main=0 dev2=0 m1v6=0 m2v6=0"
# four IPv4 probes of one target: the kernel filter (identifier) hands each
# its own replies only
for p in m1 m2 main dev2; do
  check "both: $p saw no other probe's reply (foreign $(final "$T_DIR/both" $p foreign))" \
    [ "$(final "$T_DIR/both" $p foreign)" = 0 ]
done
check "r1 forwarded m1's and main's IPv4 requests only: $((c4 - a4)) = $((2 * N))" [ $((c4 - a4)) = $((2 * N)) ]
check "r2 forwarded m2's and dev2's IPv4 requests only: $((d4 - b4)) = $((2 * N))" [ $((d4 - b4)) = $((2 * N)) ]
check "r1 forwarded m1v6's requests only: $((c6 - a6)) = $N" [ $((c6 - a6)) = $N ]
check "r2 forwarded m2v6's requests only: $((d6 - b6)) = $N" [ $((d6 - b6)) = $N ]

cut r2
run_phase r2cut
expect r2cut "m1=0 main=0 m1v6=0 m2=100 dev2=100 m2v6=100"
mend r2
cut r1
run_phase r1cut
expect r1cut "m1=100 main=100 m1v6=100 m2=0 dev2=0 m2v6=0"
finish
