#!/bin/bash
# What posture-tool refuses before anything reaches the kernel, and the
# size it must handle, in a netns of its own:
#  - table names past 63 bytes, empty, with '%', a space, binary bytes, a
#    leading digit or '-': refused naming the table, no table made; 63
#    bytes accepted; an nft keyword as a name refused with libnftables'
#    own message on one line;
#  - prefixes with host bits, a bad length, garbage: refused naming them;
#    enforce with no sensor subnet, no Azure prefix, or no family in common;
#  - 1,000 Azure prefixes (IPv4 and IPv6) and 100 sensor subnets in one
#    transaction: enforced, every prefix in the kernel's set;
#  - a refused re-apply leaves the table before it untouched; a re-apply
#    killed at any moment leaves the old table or the new one, whole.
TEST=posture_names
. "$(dirname "$0")/../lib/common.sh"
: "${POSTURE_TOOL:?POSTURE_TOOL must name posture-tool}"

netns_new gw
tool() { nsx gw "$POSTURE_TOOL" "$@"; }
no_tables() { [ -z "$(nsx gw nft list tables)" ]; }
# refused "what" "expected stderr text" args... -> exit 1, the text, no table
refused() {
  local what=$1 want=$2; shift 2
  tool apply "$@" >"$T_DIR/out" 2>"$T_DIR/err"
  local rc=$?
  check "$what: refused (exit $rc)" [ $rc = 1 ]
  check "$what: says '$want'" grep -qF -- "$want" "$T_DIR/err"
  check "$what: one line" [ "$(wc -l <"$T_DIR/err")" = 1 ]
  check "$what: no table made" no_tables
}
ok4=(--azure 100.64.2.0/24 --sensors 100.64.1.0/24)

n63=$(printf 't%.0s' $(seq 63))
refused "64-byte table" "table '${n63}x' is 64 bytes (expected 1 to 63)" --table "${n63}x" "${ok4[@]}"
refused "empty table" "table '' is 0 bytes" --table "" "${ok4[@]}"
refused "table with %" "table 'a%s%n': byte 2 is not allowed" --table 'a%s%n' "${ok4[@]}"
refused "table with a space" "table 'a b': byte 2" --table 'a b' "${ok4[@]}"
refused "table with binary bytes" "table 'a\\x01\\xff': byte 2" --table $'a\x01\xff' "${ok4[@]}"
refused "table with a newline" "table 'a\\x0ab': byte 2" --table $'a\nb' "${ok4[@]}"
refused "table starting with a digit" "table '1abc': byte 1" --table 1abc "${ok4[@]}"
refused "table starting with '-'" "table '-x': byte 1" --table -x "${ok4[@]}"
long=$(printf 'x%.0s' $(seq 5000))
refused "5000-byte table" "...(5000 bytes)' is 5000 bytes" --table "$long" "${ok4[@]}"
refused "nft keyword as a table" "installing table inet counter: Error: syntax error" --table counter "${ok4[@]}"

refused "host bits set" "Azure prefix '100.64.1.1/24': host bits set (expected 100.64.1.0/24)" \
  --azure 100.64.1.1/24 --sensors 100.64.3.0/24
refused "IPv6 host bits" "sensor subnet '2001:db8:1::1/64': host bits set (expected 2001:db8:1::/64)" \
  --azure 2001:db8:2::/64 --sensors 2001:db8:1::1/64
refused "length 33" "Azure prefix '100.64.1.0/33': prefix length 33 is over 32" --azure 100.64.1.0/33 --sensors 100.64.3.0/24
refused "leading zero length" "prefix length with a leading zero" --azure 100.64.1.0/024 --sensors 100.64.3.0/24
refused "length with a sign" "prefix length is not a number" --azure 100.64.1.0/+24 --sensors 100.64.3.0/24
refused "garbage prefix with %" "Azure prefix '%s%n/8': not an IPv4 or IPv6 address" --azure '%s%n/8' --sensors 100.64.3.0/24
refused "empty item" "sensor subnet '': not an IPv4" --azure 100.64.2.0/24 --sensors 100.64.1.0/24,
refused "no sensor subnet" "enforce = yes with no sensor subnet" --azure 100.64.2.0/24
refused "no Azure prefix" "enforce = yes with no Azure prefix" --sensors 100.64.1.0/24
refused "no family in common" "no family has both an Azure prefix and a sensor subnet" \
  --azure 100.64.2.0/24 --sensors 2001:db8:1::/64

check "a 63-byte table applies" tool apply --table "$n63" "${ok4[@]}"
check "and is listed" bash -c "ip netns exec '$TEST-gw' nft list tables | grep -qx 'table inet $n63'"
check "and removed" tool remove --table "$n63"
check "nothing left" no_tables

# 1,000 Azure prefixes (900 IPv4 /28 with gaps, 100 IPv6 /64) and 100 sensor subnets
az=$(python3 -c '
import ipaddress
v4 = [str(ipaddress.ip_network((0x64400000 + 32 * i, 28))) for i in range(900)]
v6 = ["2001:db8:%x::/64" % (0x1000 + i) for i in range(100)]
print(",".join(v4 + v6))')
se=$(python3 -c 'print(",".join("100.65.%d.0/24" % i for i in range(100)))')
check "1,000 prefixes apply" tool apply --table big --azure "$az" --sensors "$se"
tool status --table big --azure "$az" --sensors "$se" >"$T_DIR/status"
check "1,000 prefixes: status enforced" grep -qx "state enforced" "$T_DIR/status"
count() { nsx gw nft -j list set inet big "$1" | python3 -c 'import json,sys; print(sum(len(o["set"].get("elem", [])) for o in json.load(sys.stdin)["nftables"] if "set" in o))'; }
check "900 elements in azure4 ($(count azure4))" [ "$(count azure4)" = 900 ]
check "100 elements in azure6 ($(count azure6))" [ "$(count azure6)" = 100 ]
check "100 elements in sensors4 ($(count sensors4))" [ "$(count sensors4)" = 100 ]
# one more Azure prefix in the configuration than in the kernel: status says which
tool status --table big --azure "$az,100.66.0.0/24" --sensors "$se" >"$T_DIR/status"
check "a prefix the kernel lacks: named" grep -qF "(set azure4 differs: 100.66.0.0/24 is configured, not in the kernel)" "$T_DIR/status"

# a refused re-apply (one prefix with host bits among 1,001) changes nothing
tool apply --table big --azure "$az,100.64.0.1/28" --sensors "$se" 2>/dev/null
check "a refused re-apply leaves the table enforced" eval 'tool status --table big --azure "$az" --sensors "$se" >/dev/null' 

# killed (SIGKILL) in the middle of a re-apply with 20,000 prefixes, at
# several moments: the table is always the old one whole or the new one
# whole (one transaction), never a mix and never gone
python3 -c '
import ipaddress
print("\n".join(str(ipaddress.ip_network((0x64800000 + 8 * i, 30))) for i in range(20000)))' >"$T_DIR/big.txt"
whole() {
  tool status --table big --azure "$az" --sensors "$se" >/dev/null ||
    tool status --table big --azure @"$T_DIR/big.txt" --sensors "$se" >/dev/null
}
for d in 0 0.02 0.05 0.1 0.2 0.4; do
  tool apply --table big --azure "$az" --sensors "$se" || fail "apply before the kill"
  ip netns exec "$TEST-gw" "$POSTURE_TOOL" apply --table big --azure @"$T_DIR/big.txt" --sensors "$se" &
  victim=$!
  sleep "$d"
  kill -KILL "$victim" 2>/dev/null
  wait "$victim" 2>/dev/null
  check "killed after ${d}s: the old table or the new one, whole" whole
done
check "remove" tool remove --table big
check "nothing left" no_tables
finish
