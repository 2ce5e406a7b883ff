#!/bin/bash
# BFD against BIRD 2: single hop and multihop, IPv4 and IPv6, at once.
# Comes up; the intervals BIRD shows are the negotiated ones; a drop of
# BIRD's packets takes each session down within its detection time with
# diag 1; back when the drop is lifted; BIRD's change of intervals (poll)
# is followed, ours is seen by BIRD.
TEST=${TEST:-bfdbird}
source "$(dirname "$0")/bfd_lib.sh"
command -v bird >/dev/null || die "bird (Debian bird2) is not installed"
bfd_topology

# bird_conf TX_MS RX_MS MULT
bird_conf() {
  local iv="min rx interval $2 ms; min tx interval $1 ms; idle tx interval 1000 ms; multiplier $3;"
  cat >"$T_DIR/bird.conf" <<CONF
router id 192.0.2.2;
protocol device { }
protocol bfd {
  interface "p0" { $iv };
  multihop { $iv };
  neighbor 192.0.2.1 dev "p0" local 192.0.2.2;
  neighbor 2001:db8:1::1 dev "p0" local 2001:db8:1::2;
  neighbor 198.51.100.1 local 203.0.113.2 multihop on;
  neighbor 2001:db8:2::1 local 2001:db8:3::2 multihop on;
}
CONF
}
birdc_() { nsx peer birdc -s "$T_DIR/bird.ctl" "$@"; }
# bird_row ADDR -> "State Interval Timeout" of BIRD's session with ADDR
bird_row() {
  birdc_ show bfd sessions | awk -v a="$1" '$1 == a { print $3, $(NF-1), $NF }'
}
bird_is() { [ "$(bird_row "$1")" = "$2" ]; }
bird_all() { local a; for a in "${BFD_OUR_ADDR[@]}"; do bird_is "$a" "$1" || return 1; done; }

bird_conf 100 100 3
spawn "$T_DIR/bird.log" ip netns exec "$TEST-peer" bird -f -c "$T_DIR/bird.conf" \
  -s "$T_DIR/bird.ctl" -P "$T_DIR/bird.pid"
wait_for 10 "BIRD's control socket" test -S "$T_DIR/bird.ctl" || die "BIRD did not start"

# ours: tx 120 ms, rx 150 ms, x4; BIRD's: 100/100 x3. BIRD sends multihop
# packets with the system's default TTL (64), not 255: RFC 5883 leaves the
# TTL of multihop open; the default accepts any, min_ttl=2 sets an explicit
# minimum below BIRD's 64 (health_multihop shows one above it refusing BIRD)
bfd_start_speaker 120ms 150ms 4 min_ttl=2
for i in 0 1 2 3; do
  check "${BFD_KINDS[$i]}: up against BIRD" wait_for 15 "session $i up" bfd_is "$i" state up
done
# we send at max(120, BIRD's rx 100); detect 3 x max(our rx 150, BIRD's tx 100)
check "ours: tx 120 ms, detect 450 ms on every session" \
  wait_for 5 "negotiated" sh -c "$(declare -f bfd_last bfd_is bfd_all); BFD_OUT=$BFD_OUT; \
    bfd_all tx_us 120000 && bfd_all detect_us 450000"
# BIRD: interval max(its tx 100, our rx 150), timeout 4 x max(its rx 100, our tx 120)
for a in "${BFD_OUR_ADDR[@]}"; do
  check "BIRD's session with $a: Up, interval 0.150 s, timeout 0.480 s" \
    wait_for 5 "BIRD's view of $a" bird_is "$a" "Up 0.150 0.480"
done

# BIRD's packets dropped: down within 450 ms (+ one 120 ms tx interval)
bfd_drop_peer on
check "every session down after the drop" wait_for 5 "sessions down" bfd_all state down
bfd_check_detect_downs 450 $((120 * ${TEST_TIME_SCALE:-1}))
bfd_drop_peer off
for i in 0 1 2 3; do
  check "${BFD_KINDS[$i]}: up again when the drop is lifted" \
    wait_for 15 "session $i up again" bfd_is "$i" state up
done

# BIRD changes its intervals at run time (its poll sequence): tx 200, rx 250, x5
bird_conf 200 250 5
birdc_ configure >"$T_DIR/configure.log" 2>&1 || fail "birdc configure: $(cat "$T_DIR/configure.log")"
# ours: tx max(120, 250), detect 5 x max(150, 200)
for i in 0 1 2 3; do
  check "${BFD_KINDS[$i]}: follows BIRD's new intervals (tx 250 ms, detect 1000 ms)" \
    wait_for 5 "session $i params" sh -c "$(declare -f bfd_last bfd_is); BFD_OUT=$BFD_OUT; \
      bfd_is $i tx_us 250000 && bfd_is $i detect_us 1000000"
done
# BIRD's slower tx applies only after our Final: interval max(200, 150)
check "BIRD completed its poll (interval 0.200 s, timeout 1.000 s)" \
  wait_for 5 "BIRD's poll" bird_all "Up 0.200 1.000"

# ours change (our poll sequence): tx 200, rx 300, x2
echo "set all 200000 300000 2" >&"$BFD_CTL"
# BIRD: interval max(200, our rx 300), timeout 2 x max(its rx 250, our tx 200)
check "BIRD sees our new intervals (interval 0.300 s, timeout 0.500 s)" \
  wait_for 5 "BIRD's view" bird_all "Up 0.300 0.500"
# ours: tx max(200, BIRD rx 250), detect 5 x max(our rx 300, its tx 200)
check "our poll sequences completed, still up (tx 250 ms, detect 1500 ms)" \
  wait_for 5 "final" sh -c "$(declare -f bfd_last bfd_is bfd_all); BFD_OUT=$BFD_OUT; \
    bfd_all poll false && bfd_all state up && bfd_all tx_us 250000 && bfd_all detect_us 1500000"
check "no packet of BIRD's was dropped by our checks" bfd_no_drops
finish
