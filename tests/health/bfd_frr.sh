#!/bin/bash
# BFD against FRR's bfdd (with zebra): single hop and multihop, IPv4 and IPv6,
# at once. Comes up; the intervals bfdd shows for us are ours; a drop of
# bfdd's packets takes each session down within its detection time with
# diag 1; back when the drop is lifted; bfdd's change of intervals (poll) is
# followed, ours is seen by bfdd.
TEST=${TEST:-bfdfrr}
source "$(dirname "$0")/bfd_lib.sh"
[ -x /usr/lib/frr/bfdd ] || die "FRR (Debian frr) is not installed"
bfd_topology

FRR_DIR=$T_DIR/frr
mkdir -p "$FRR_DIR"
chmod 755 "$T_DIR"
# peer lines as bfdd names them (used again to change them at run time)
FRR_PEERS=("peer 192.0.2.1 local-address 192.0.2.2 interface p0"
  "peer 2001:db8:1::1 local-address 2001:db8:1::2 interface p0"
  "peer 198.51.100.1 multihop local-address 203.0.113.2"
  "peer 2001:db8:2::1 multihop local-address 2001:db8:3::2")
{
  echo "hostname ${TEST}-peer"
  echo "bfd"
  for p in "${FRR_PEERS[@]}"; do
    printf ' %s\n  transmit-interval 100\n  receive-interval 100\n  detect-multiplier 3\n !\n' "$p"
  done
} >"$FRR_DIR/frr.conf"
touch "$FRR_DIR/vtysh.conf"
chown -R frr:frr "$FRR_DIR"
frr_daemon() {
  local d=$1; shift
  spawn "$T_DIR/$d.log" ip netns exec "$TEST-peer" "/usr/lib/frr/$d" -u frr -g frr \
    -z "$FRR_DIR/zserv.api" -i "$FRR_DIR/$d.pid" --vty_socket "$FRR_DIR" -f "$FRR_DIR/frr.conf" "$@"
}
frr_daemon zebra
wait_for 10 "zebra's socket" test -S "$FRR_DIR/zserv.api" || die "zebra did not start"
frr_daemon bfdd --bfdctl "$FRR_DIR/bfdd.sock"
wait_for 10 "bfdd's vty" test -S "$FRR_DIR/bfdd.vty" || die "bfdd did not start"
vtysh_() { nsx peer vtysh --vty_socket "$FRR_DIR" "$@"; }
# frr_is ADDR JQ_EXPR -> bfdd's view of the peer ADDR satisfies JQ_EXPR
frr_is() {
  vtysh_ -c 'show bfd peers json' 2>/dev/null |
    jq -e --arg a "$1" "map(select(.peer == \$a)) | .[0] | $2" >/dev/null
}
frr_all() { local a; for a in "${BFD_OUR_ADDR[@]}"; do frr_is "$a" "$1" || return 1; done; }

# ours: tx 120 ms, rx 150 ms, x4; bfdd's: 100/100 x3 (bfdd's multihop
# minimum TTL is 254: our 255 crossed one router)
bfd_start_speaker 120ms 150ms 4
for i in 0 1 2 3; do
  check "${BFD_KINDS[$i]}: up against FRR bfdd" wait_for 20 "session $i up" bfd_is "$i" state up
done
check "ours: tx 120 ms, detect 450 ms on every session" \
  wait_for 5 "negotiated" sh -c "$(declare -f bfd_last bfd_is bfd_all); BFD_OUT=$BFD_OUT; \
    bfd_all tx_us 120000 && bfd_all detect_us 450000"
for a in "${BFD_OUR_ADDR[@]}"; do
  check "bfdd's session with $a: up, our rx 150 ms, tx 120 ms, x4" wait_for 5 "bfdd's view of $a" \
    frr_is "$a" '.status == "up" and ."remote-receive-interval" == 150 and ."remote-transmit-interval" == 120 and ."remote-detect-multiplier" == 4'
done

bfd_drop_peer on
check "every session down after the drop" wait_for 5 "sessions down" bfd_all state down
bfd_check_detect_downs 450 $((120 * ${TEST_TIME_SCALE:-1}))
bfd_drop_peer off
for i in 0 1 2 3; do
  check "${BFD_KINDS[$i]}: up again when the drop is lifted" \
    wait_for 20 "session $i up again" bfd_is "$i" state up
done

# bfdd changes its intervals at run time: tx 200, rx 250, x5
cmds=(-c 'configure terminal' -c bfd)
for p in "${FRR_PEERS[@]}"; do
  cmds+=(-c "$p" -c 'transmit-interval 200' -c 'receive-interval 250' -c 'detect-multiplier 5' -c exit)
done
vtysh_ "${cmds[@]}" >"$T_DIR/vtysh.log" 2>&1 || fail "vtysh: $(cat "$T_DIR/vtysh.log")"
for i in 0 1 2 3; do
  check "${BFD_KINDS[$i]}: follows bfdd's new intervals (tx 250 ms, detect 1000 ms)" \
    wait_for 5 "session $i params" sh -c "$(declare -f bfd_last bfd_is); BFD_OUT=$BFD_OUT; \
      bfd_is $i tx_us 250000 && bfd_is $i detect_us 1000000 && bfd_is $i state up"
done

# ours change (our poll sequence): tx 200, rx 300, x2
echo "set all 200000 300000 2" >&"$BFD_CTL"
check "bfdd sees our new intervals (rx 300 ms, tx 200 ms, x2), still up" wait_for 5 "bfdd's view" \
  frr_all '.status == "up" and ."remote-receive-interval" == 300 and ."remote-transmit-interval" == 200 and ."remote-detect-multiplier" == 2'
check "our poll sequences completed, still up (tx 250 ms, detect 1500 ms)" \
  wait_for 5 "final" sh -c "$(declare -f bfd_last bfd_is bfd_all); BFD_OUT=$BFD_OUT; \
    bfd_all poll false && bfd_all state up && bfd_all tx_us 250000 && bfd_all detect_us 1500000"
check "no packet of bfdd's was dropped by our checks" bfd_no_drops
finish
