#!/bin/bash
# A target that does not answer: 100 % loss, every timeout a sample, and
# lost_in_row counting 1, 2, 3, ... (the figures valid from the third loss in
# a row, before the window fills). Targets: an IPv4 and an IPv6 address with
# no host behind it (no ARP/ND answer), a host whose replies nftables drops,
# and a UDP port nobody listens on (the port unreachable answers are no echo).
# Then the drop is lifted: the first reply resets lost_in_row to 0 and the
# loss falls. The probe runs meanwhile (polled, bounded).
TEST=edown
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/echo_lib.sh"

netns_new a
netns_new b
veth_pair a e0 203.0.113.1/24 b e1 203.0.113.2/24
ip -n "$TEST-a" addr add 2001:db8:e3::1/64 dev e0 nodad
ip -n "$TEST-b" addr add 2001:db8:e3::2/64 dev e1 nodad
nsx b nft -f - <<'NFT' || die "nft"
table inet edown {
  counter out {}
  chain out {
    type filter hook output priority 0;
    icmp type echo-reply counter name out drop
  }
}
NFT

probe="interval=50,timeout=200,window=10"
spawn "$T_DIR/out" ip netns exec "$TEST-a" "$ECHO_PROBE" -t 60 \
  "name=nohost4,type=icmp,target=203.0.113.99,$probe,count=12" \
  "name=nohost6,type=icmp,target=2001:db8:e3::99,$probe,count=12" \
  "name=closed,type=udp,target=203.0.113.2,port=9,$probe,count=12" \
  "name=dropped,type=icmp,target=203.0.113.2,$probe"
PROBE_PID=$LAST_PID

samples() { jq -c --arg p "$1" 'select(.probe == $p and .final == null)' "$T_DIR/out"; }
n_samples() { [ "$(samples "$1" | wc -l)" -ge "$2" ]; }
for p in nohost4 nohost6 closed dropped; do
  wait_for 20 "12 samples of $p" n_samples $p 12 || fail "$p: fewer than 12 samples"
done
# every sample of a dead target: lost, lost_in_row = seq + 1, valid from 3 on
counting() {
  samples "$1" | head -12 | jq -e -s 'length == 12 and all(.[]; .lost and
    .lost_in_row == .seq + 1 and .loss_pct == 100 and .received == 0 and
    .valid == (.lost_in_row >= 3))' >/dev/null
}
for p in nohost4 nohost6 closed dropped; do
  check "$p: 12 losses, lost_in_row 1..12, 100 %, valid from the third" counting $p
done
check "the replies were really dropped by nft ($(nft_counter b edown out))" \
  [ "$(nft_counter b edown out)" -ge 12 ]

nsx b nft delete table inet edown
recovered() { samples dropped | jq -e -s 'any(.[]; .lost == false)' >/dev/null; }
wait_for 10 "a reply after the drop is lifted" recovered || fail "dropped: no reply after the drop was lifted"
check "the first reply resets lost_in_row to 0" \
  bash -c "$(declare -f samples); T_DIR=$T_DIR; samples dropped | jq -e -s '[.[] | select(.lost == false)][0].lost_in_row == 0' >/dev/null"
falling() { samples dropped | jq -e -s '.[-1].loss_pct < 100' >/dev/null; }
check "loss below 100 % once replies come" falling
kill -TERM "$PROBE_PID"
wait_for 5 "echo_probe's final lines" grep -q rusage "$T_DIR/out" || fail "echo_probe did not stop on SIGTERM"
check "nohost4: final 100 % loss, 12 lost in a row" \
  [ "$(final "$T_DIR/out" nohost4 loss_pct)/$(final "$T_DIR/out" nohost4 lost_in_row)" = 100/12 ]
finish
