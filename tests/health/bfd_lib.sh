# Shared by the BFD interop tests (bfd_bird.sh, bfd_frr.sh): the topology, the
# speaker under test and the checks on its JSON lines. Source after setting
# TEST; needs BFD_SPEAKER (CTest sets it).
#
#   us ── u0 ─────────────── p0 ── peer     single hop: 192.0.2.0/24, 2001:db8:1::/64
#   us ── u1 ── rt ── r2 ─── p1 ── peer     multihop:   198.51.100.0/24 + 203.0.113.0/24,
#                                                       2001:db8:2::/64 + 2001:db8:3::/64
# Sessions of the speaker (index: kind): 0 sh4, 1 sh6, 2 mh4, 3 mh6.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
: "${BFD_SPEAKER:?BFD_SPEAKER must name the bfd_speaker binary}"
[ -x "$BFD_SPEAKER" ] || die "BFD_SPEAKER=$BFD_SPEAKER is not executable"

BFD_KINDS=(sh4 sh6 mh4 mh6)
# the peer's addresses as seen from us, and ours as seen by the peer
BFD_PEER_ADDR=(192.0.2.2 2001:db8:1::2 203.0.113.2 2001:db8:3::2)
BFD_OUR_ADDR=(192.0.2.1 2001:db8:1::1 198.51.100.1 2001:db8:2::1)

bfd_topology() {
  netns_new us
  netns_new rt
  netns_new peer
  veth_pair us u0 192.0.2.1/24 peer p0 192.0.2.2/24
  ip -n "$TEST-us" addr add 2001:db8:1::1/64 dev u0 nodad
  ip -n "$TEST-peer" addr add 2001:db8:1::2/64 dev p0 nodad
  veth_pair us u1 198.51.100.1/24 rt r1 198.51.100.254/24
  veth_pair rt r2 203.0.113.254/24 peer p1 203.0.113.2/24
  ip -n "$TEST-us" addr add 2001:db8:2::1/64 dev u1 nodad
  ip -n "$TEST-rt" addr add 2001:db8:2::fe/64 dev r1 nodad
  ip -n "$TEST-rt" addr add 2001:db8:3::fe/64 dev r2 nodad
  ip -n "$TEST-peer" addr add 2001:db8:3::2/64 dev p1 nodad
  nsx rt sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "$TEST-us" route add 203.0.113.0/24 via 198.51.100.254
  ip -n "$TEST-us" -6 route add 2001:db8:3::/64 via 2001:db8:2::fe
  ip -n "$TEST-peer" route add 198.51.100.0/24 via 203.0.113.254
  ip -n "$TEST-peer" -6 route add 2001:db8:2::/64 via 2001:db8:3::fe
}

# bfd_start_speaker TX RX MULT [MULTIHOP_KEYS] -> the four sessions; commands
# go to fd BFD_CTL
bfd_start_speaker() {
  local t="tx=$1,rx=$2,mult=$3" mh=${4:+,$4}
  mkfifo "$T_DIR/ctl"
  exec {BFD_CTL}<>"$T_DIR/ctl"
  BFD_OUT=$T_DIR/speaker.json
  spawn "$T_DIR/speaker.log" sh -c "exec ip netns exec $TEST-us $BFD_SPEAKER -v 2 \
    remote=192.0.2.2,local=192.0.2.1,dev=u0,$t remote=2001:db8:1::2,local=2001:db8:1::1,dev=u0,$t \
    remote=203.0.113.2,local=198.51.100.1,multihop,$t$mh \
    remote=2001:db8:3::2,local=2001:db8:2::1,multihop,$t$mh <$T_DIR/ctl >$BFD_OUT"
  BFD_PID=$LAST_PID
}

# bfd_last I FIELD -> FIELD of session I's last line (state or params)
bfd_last() {
  jq -r --argjson i "$1" "select(.session == \$i and (.event == \"state\" or .event == \"params\")) | .$2" \
    "$BFD_OUT" 2>/dev/null | tail -n 1
}
# bfd_is I FIELD VALUE -> the last report of session I has FIELD = VALUE
bfd_is() { [ "$(bfd_last "$1" "$2")" = "$3" ]; }
bfd_all() { local i; for i in 0 1 2 3; do bfd_is "$i" "$@" || return 1; done; }
# bfd_no_drops -> asks for a status report and checks that no session dropped
# a packet of its peer (wrong TTL, address, A bit)
bfd_no_drops() {
  local n
  n=$(grep -c '"event":"status"' "$BFD_OUT")
  echo status >&"$BFD_CTL"
  wait_for 5 "status lines" sh -c "[ \$(grep -c '\"event\":\"status\"' $BFD_OUT) -ge $((n + 4)) ]" || return 1
  [ "$(grep '"event":"status"' "$BFD_OUT" | tail -n 4 | jq -s 'map(.rx_dropped) | add')" = 0 ]
}

# bfd_drop_peer on|off -> our netns drops every BFD packet from the peer
bfd_drop_peer() {
  if [ "$1" = on ]; then
    nsx us nft -f - <<NFT
table inet bfdtest {
  chain input {
    type filter hook input priority 0;
    udp dport { 3784, 4784 } drop
  }
}
NFT
  else
    nsx us nft delete table inet bfdtest
  fi
}

# bfd_check_detect_downs DETECT_MS SLACK_MS -> every session went down with
# diag 1 after at least DETECT_MS and at most DETECT_MS + SLACK_MS of silence
bfd_check_detect_downs() {
  local det=$1 slack=$2 i line since
  for i in 0 1 2 3; do
    line=$(jq -c --argjson i "$i" 'select(.session == $i and .event == "state" and .state == "down")' \
      "$BFD_OUT" | tail -n 1)
    check "${BFD_KINDS[$i]}: down with diag 1 (control detection time expired)" \
      test "$(jq -r .local_diag <<<"$line")" = 1
    since=$(jq -r .since_rx_ms <<<"$line")
    check "${BFD_KINDS[$i]}: down after ${since} ms of silence, detect time $det ms (+${slack} ms)" \
      test "$since" -ge $((det - 1)) -a "$since" -le $((det + slack))
  done
}
