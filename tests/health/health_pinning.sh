#!/usr/bin/env bash
# Probe pinning through tunneld: two paths to the Azure host 100.64.2.1
# (each far namespace holds that address), er (priority 10) carrying the
# site and bk (20) on standby, each with an ICMP echo probe to 100.64.2.1.
# The standby's probes must leave through the standby path although the
# site's route (and the main table's view of 100.64.2.1) goes through er:
# nft counters in bk's far namespace count bk's probes (source 198.51.100.1,
# bk0's address), those in er's count er's (192.0.2.1). When bk's far side
# goes, bk's probes say so (loss, then down) while er keeps the site.
#
#   health_pinning.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hpin}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"

health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2
# per source: which path's probes arrived where
for ns in er bk; do
  nsx $ns nft -f - <<NFT || die "nft in $ns"
table inet src {
  counter from_er { }
  counter from_bk { }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr 192.0.2.1 ip daddr 100.64.2.1 icmp type echo-request counter name from_er
    ip saddr 198.51.100.1 ip daddr 100.64.2.1 icmp type echo-request counter name from_bk
  }
}
NFT
done
seen() { nsx "$1" nft list counter inet src "from_$2" | grep -o 'packets [0-9]*' | cut -d' ' -f2; }

health_swanctl "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
echo_block() {
  printf '          echo {\n            type = icmp\n            target = 100.64.2.1\n            interval = 200ms\n            timeout = 500ms\n            window = 5\n          }\n'
}
{
  printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
  printf '        er {\n          dev = er0\n          gateway4 = 192.0.2.2\n          priority = 10\n          hold_down = 500ms\n'
  echo_block
  printf '        }\n'
  printf '        bk {\n          dev = bk0\n          gateway4 = 198.51.100.2\n          priority = 20\n          hold_down = 500ms\n'
  echo_block
  printf '        }\n'
  printf '      }\n    }\n  }\n}\n'
} >>"$T_DIR/gw/tunneld.conf"
tunneld_start gw

check "er carries the site" wait_for 10 "er active" p_is gw azure er active true
check "the kernel routes 100.64.2.1 via er0" route_dev er0
check "bk's echo has a full window without loss" wait_for 10 "bk echo" \
  eval 'p_is gw azure bk echo.valid true && p_is gw azure bk echo.loss_pct 0'
mark=$(pq gw azure bk probe_mark)
check "bk's probes carry a mark of their own ($mark)" test "$mark" != 0 -a "$mark" != "$(pq gw azure er probe_mark)"
a_bk=$(seen bk bk) a_er=$(seen er bk) b_er=$(seen er er) b_bk=$(seen bk er)
check "bk's probes keep arriving at bk's far side" wait_for 5 "more at bk" \
  eval '[ "$(seen bk bk)" -ge $((a_bk + 5)) ]'
check "... and never at er's (they do not follow the site's route)" test "$(seen er bk)" = "$a_er"
check "er's probes arrive at er's far side" test "$(seen er er)" -gt "$b_er"
check "... never at bk's" test "$(seen bk er)" = "$b_bk"

# the standby's far side goes: its own probes see it, the site stays on er
far_gone bk
check "bk reported down by its echo (loss)" wait_for 10 "bk down" p_is gw azure bk state down
check "bk's reason is echo loss" p_has gw azure bk reason "loss 100%"
check "er still carries the site" p_is gw azure er active true
check "the kernel still routes via er0" route_dev er0
far_back bk
check "bk's echo recovers" wait_for 10 "bk up" p_is gw azure bk state up

check "tunneld stops cleanly" tunneld_stop gw
finish
