#!/bin/bash
# Detection time of health/bfd against the configured detect time: CUTS cuts
# of one session to BIRD 2 (nftables drop of BIRD's packets on our side).
# For each cut, the detection time is the time from the last packet received
# to the Down state (the speaker's since_rx_ms on its Down line: RFC 5880's
# detection time runs from the last packet received). Prints the
# distribution and the worst against detect time + one TX interval.
#   bench/bfd/detect.sh path/to/bfd_speaker [CUTS] [TX_MS] [MULT]
set -u
SPEAKER=${1:?usage: detect.sh path/to/bfd_speaker [CUTS] [TX_MS] [MULT]}
CUTS=${2:-100}
TX=${3:-20}
MULT=${4:-3}
TEST=bfddet
source "$(dirname "$0")/../../tests/lib/common.sh"
command -v bird >/dev/null || die "bird (Debian bird2) is not installed"

netns_new a
netns_new b
veth_pair a a0 100.64.0.1/30 b b0 100.64.0.2/30
cat >"$T_DIR/bird.conf" <<CONF
router id 100.64.0.2;
protocol device { }
protocol bfd {
  interface "b0" { min rx interval $TX ms; min tx interval $TX ms; multiplier $MULT; };
  neighbor 100.64.0.1 dev "b0";
}
CONF
spawn "$T_DIR/bird.log" nsx b bird -f -c "$T_DIR/bird.conf" -s "$T_DIR/bird.ctl" -P "$T_DIR/bird.pid"
mkfifo "$T_DIR/in"
exec {IN}<>"$T_DIR/in"
spawn "$T_DIR/speaker.json" nsx a "$SPEAKER" "remote=100.64.0.2,dev=a0,tx=${TX}ms,rx=${TX}ms,mult=$MULT" <"$T_DIR/in"

count_state() { grep -c "\"event\":\"state\".*\"state\":\"$1\"" "$T_DIR/speaker.json"; }
ups_at_least() { [ "$(count_state up)" -ge "$1" ]; }
downs_at_least() { [ "$(count_state down)" -ge "$1" ]; }

drop() {
  nsx a nft -f - <<NFT
table inet bfddet {
  chain in {
    type filter hook input priority -300; iifname "a0" udp dport 3784 drop
  }
}
NFT
}
undrop() { nsx a nft delete table inet bfddet; }

wait_for 30 "first Up" ups_at_least 1 || die "the session never came up ($(tail -2 "$T_DIR/speaker.json"))"
downs0=$(count_state down)
for ((c = 1; c <= CUTS; c++)); do
  ups_at_least "$c" || wait_for 30 "Up before cut $c" ups_at_least "$c" || die "not Up before cut $c"
  # a random phase against the peer's packets: up to 2 TX intervals
  sleep "0.$(printf '%03d' $((RANDOM % (2 * TX))))"
  drop
  wait_for 10 "Down after cut $c" downs_at_least $((downs0 + c)) || die "no Down after cut $c"
  undrop
done
grep '"event":"state".*"state":"down"' "$T_DIR/speaker.json" | tail -n "$CUTS" >"$T_DIR/downs.json"
python3 - "$T_DIR/downs.json" "$TX" "$MULT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
tx, mult = int(sys.argv[2]), int(sys.argv[3])
det = [r["since_rx_ms"] for r in rows]
diags = {r["local_diag_name"] for r in rows}
det.sort()
n = len(det)
pct = lambda p: det[min(n - 1, int(p * n))]
limit = tx * mult + tx
print(f"cuts {n}, configured {tx} ms x {mult} (detect {tx*mult} ms); detection time from the last packet received:")
print(f"  min {det[0]} ms, median {pct(0.5)} ms, p90 {pct(0.9)} ms, p99 {pct(0.99)} ms, max {det[-1]} ms")
print(f"  worst / (detect + one TX = {limit} ms) = {det[-1]/limit:.2f}x; diagnostics: {', '.join(sorted(diags))}")
PY
T_CHECKS=1 # a measurement: the runs completed
finish
