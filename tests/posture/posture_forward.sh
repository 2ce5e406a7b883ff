#!/bin/bash
# The outbound-only posture on the real kernel: an Azure host (100.64.2.2,
# 2001:db8:a2::2), a gateway forwarding between two veths, a sensor host
# (100.64.1.2, 2001:db8:a1::2). posture-tool runs in the gateway's netns.
#  - posture off: a connection initiated from Azure to the sensor works
#    (the test could see the posture fail);
#  - enforced: Azure -> sensor is dropped (IPv4 and IPv6), sensor -> Azure
#    works both ways, status says enforced, the drop counter went up;
#  - re-applied twice: one table, still enforced;
#  - the chain or a set element removed behind its back: status says not
#    enforced with the reason, and Azure -> sensor really gets through;
#  - --off: the table is gone and Azure -> sensor works again.
TEST=posture_forward
. "$(dirname "$0")/../lib/common.sh"
: "${POSTURE_TOOL:?POSTURE_TOOL must name posture-tool}"
PROBE="$(dirname "$0")/tcp_probe.py"
TABLE="tp_$TEST"
AZ="100.64.2.0/24,2001:db8:a2::/64"
SE="100.64.1.0/24,2001:db8:a1::/64"

netns_new az
netns_new gw
netns_new se
veth_pair az a0 100.64.2.2/24 gw ga 100.64.2.1/24
veth_pair gw gs 100.64.1.1/24 se s0 100.64.1.2/24
ip -n "$TEST-az" addr add 2001:db8:a2::2/64 dev a0 nodad
ip -n "$TEST-gw" addr add 2001:db8:a2::1/64 dev ga nodad
ip -n "$TEST-gw" addr add 2001:db8:a1::1/64 dev gs nodad
ip -n "$TEST-se" addr add 2001:db8:a1::2/64 dev s0 nodad
ip -n "$TEST-az" route add default via 100.64.2.1
ip -n "$TEST-az" -6 route add default via 2001:db8:a2::1
ip -n "$TEST-se" route add default via 100.64.1.1
ip -n "$TEST-se" -6 route add default via 2001:db8:a1::1
nsx gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || die "forwarding"

tool() { nsx gw "$POSTURE_TOOL" "$@"; }
apply() { tool apply --table "$TABLE" --azure "$AZ" --sensors "$SE"; }
status() { tool status --table "$TABLE" --azure "$AZ" --sensors "$SE" >"$T_DIR/status"; }
# reach FROM ADDR -> the listener at ADDR answers a connection from netns FROM
reach() { nsx "$1" python3 "$PROBE" connect "$2" 8080 "${3:-2}" >>"$T_DIR/connect.log" 2>&1; }
blocked() { ! reach "$1" "$2" 1.5; }
tables() { nsx gw nft list tables | grep -c "^table inet $TABLE\$"; }

spawn "$T_DIR/listen-se.log" ip netns exec "$TEST-se" python3 "$PROBE" listen 8080 "$T_DIR/ready-se"
spawn "$T_DIR/listen-az.log" ip netns exec "$TEST-az" python3 "$PROBE" listen 8080 "$T_DIR/ready-az"
wait_for 10 "the listeners" test -e "$T_DIR/ready-se" -a -e "$T_DIR/ready-az" || die "listeners"

# off: nothing stops Azure (the assertions below can fail)
check "posture off: Azure -> sensor (IPv4) connects" wait_for 10 "az -> se" reach az 100.64.1.2
check "posture off: Azure -> sensor (IPv6) connects" wait_for 10 "az -> se v6" reach az 2001:db8:a1::2
status
check "posture not applied: status not enforced, table missing" \
  grep -qx "reason not enforced: a new connection from Azure to the sensors would be forwarded (table inet $TABLE is missing)" "$T_DIR/status"

# enforced
check "apply" apply
check "status enforced" status
check "status says enforced, no drop yet" grep -qx "dropped 0 0" "$T_DIR/status"
check "Azure -> sensor (IPv4) dropped" blocked az 100.64.1.2
check "Azure -> sensor (IPv6) dropped" blocked az 2001:db8:a1::2
check "sensor -> Azure (IPv4) works both ways" reach se 100.64.2.2
check "sensor -> Azure (IPv6) works both ways" reach se 2001:db8:a2::2
status
read -r _ pkts _ <<<"$(grep '^dropped ' "$T_DIR/status")"
check "the drop counter went up (${pkts:-none} packets)" [ "${pkts:-0}" -ge 2 ]

# re-applied twice: one table, still enforced, still dropping
check "re-apply 1" apply
check "re-apply 2" apply
check "one table after three applies ($(tables))" [ "$(tables)" = 1 ]
check "status enforced after re-apply" status
check "Azure -> sensor still dropped after re-apply" blocked az 100.64.1.2

# the chain removed behind tunneld's back
nsx gw nft flush chain inet "$TABLE" forward && nsx gw nft delete chain inet "$TABLE" forward || die "nft delete chain"
status
check "chain removed: status not enforced with the reason" \
  grep -qx "reason not enforced: a new connection from Azure to the sensors would be forwarded (table inet $TABLE has no chain forward)" "$T_DIR/status"
check "chain removed: Azure -> sensor gets through indeed" reach az 100.64.1.2

# a sensor subnet taken out of its set
check "apply again" apply
nsx gw nft delete element inet "$TABLE" sensors4 '{ 100.64.1.0/24 }' || die "nft delete element"
status
check "set element removed: status not enforced, set sensors4 differs" \
  grep -qx "reason not enforced: a new connection from Azure to the sensors would be forwarded (set sensors4 differs: 100.64.1.0/24 is configured, not in the kernel)" "$T_DIR/status"
check "set element removed: Azure -> sensor gets through indeed" reach az 100.64.1.2
check "IPv6 still dropped (its set untouched)" blocked az 2001:db8:a1::2

# a drop rule replaced by an accept
check "apply again" apply
handle=$(nsx gw nft -a list chain inet "$TABLE" forward | awk '/ip saddr @azure4 .* drop/ {print $NF}')
nsx gw nft replace rule inet "$TABLE" forward handle "$handle" ip saddr @azure4 accept || die "nft replace rule"
status
check "drop rule replaced: status not enforced naming the rule" \
  grep -qx "reason not enforced: a new connection from Azure to the sensors would be forwarded (chain forward has a rule tunneld did not write (rule 2) where its IPv4 drop belongs)" "$T_DIR/status"

# not enforced: the table goes, Azure gets through
check "apply --off" tool apply --off --table "$TABLE"
check "table gone" [ "$(tables)" = 0 ]
tool status --off --table "$TABLE" >"$T_DIR/status"
check "status off" grep -qx "state off" "$T_DIR/status"
check "posture off again: Azure -> sensor connects" reach az 100.64.1.2
check "remove when absent succeeds" tool remove --table "$TABLE"
finish
