# Helpers of the echo probe tests (tests/health/echo_*.sh). Source after
# tests/lib/common.sh. ECHO_PROBE and UDP_ECHO_DELAY name the tools (CTest
# sets them).
: "${ECHO_PROBE:?ECHO_PROBE must name the echo_probe tool}"
: "${UDP_ECHO_DELAY:?UDP_ECHO_DELAY must name the udp_echo_delay tool}"
command -v jq >/dev/null || die "jq is needed"

# final FILE PROBE KEY -> the value of KEY in PROBE's final line of FILE
final() {
  jq -r --arg p "$2" --arg k "$3" 'select(.final == true and .probe == $p) | .[$k]' "$1"
}
# within A B TOL -> |A - B| <= TOL (decimals)
within() {
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}
# nft_counter NS TABLE NAME -> packets of the named counter in table inet TABLE
nft_counter() {
  nsx "$1" nft -j list counter inet "$2" "$3" |
    jq -r '.nftables[] | select(.counter) | .counter.packets'
}
# run_probes OUT NS ARGS... -> runs echo_probe in netns NS (bounded: -t), final
# lines and samples into OUT; fails the test on a tool error
run_probes() {
  local out=$1 ns=$2; shift 2
  nsx "$ns" "$ECHO_PROBE" "$@" >"$out" 2>"$out.err" ||
    fail "echo_probe $*: exit $? ($(head -c 300 "$out.err"))"
}
