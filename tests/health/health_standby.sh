#!/usr/bin/env bash
# A standby path broken while the primary carries the traffic: three paths,
# er (priority 10) and er2 (20) each with BFD to BIRD 2 on its far side,
# bk (30) without probes. er2's far side goes: tunnelctl reports er2 down
# (BFD diag 1) within its detection time and the site stays on er (no
# failover). Then er's far side goes too: the site moves to bk, the next
# healthy path, not to the broken er2.
#
#   health_standby.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hstby}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
command -v bird >/dev/null || die "bird (Debian bird2) is not installed"

health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far er2 er1 203.0.113.1 203.0.113.2
health_far bk bk0 198.51.100.1 198.51.100.2
health_bird er 192.0.2.1
health_bird er2 203.0.113.1

health_swanctl "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
{
  printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
  er_path er er0 192.0.2.2 10
  er_path er2 er1 203.0.113.2 20
  printf '        bk {\n          dev = bk0\n          gateway4 = 198.51.100.2\n          priority = 30\n        }\n'
  printf '      }\n    }\n  }\n}\n'
} >>"$T_DIR/gw/tunneld.conf"
tunneld_start gw

check "er's BFD up" wait_for 15 "er bfd up" p_is gw azure er bfd.state up
check "er2's BFD up" wait_for 15 "er2 bfd up" p_is gw azure er2 bfd.state up
check "er2 up" wait_for 5 "er2 up" p_is gw azure er2 state up
check "er carries the site" wait_for 5 "er active" p_is gw azure er active true
check "the kernel routes the site via er0" wait_for 5 "route er0" route_dev er0
decisions() { pq gw azure site: decisions | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
n0=$(decisions)

# the standby's far side goes
far_gone er2
t0=$(now_ms)
check "er2 reported down" wait_for 5 "er2 down" p_is gw azure er2 state down
log "er2 reported down $(($(now_ms) - t0)) ms after its far side went (detect time 300 ms; polling adds up to 100 ms and the tunnelctl round trip)"
check "er2's BFD: diag 1 (control detection time expired)" p_is gw azure er2 bfd.local_diag 1
check "er2's reason names BFD" p_has gw azure er2 reason "BFD down, diag 1"
check "no failover: er still carries the site" p_is gw azure er active true
check "no failover: the kernel still routes via er0" route_dev er0
check "no new decision" test "$(decisions)" = "$n0"
check "a ping still reaches the host behind er" ping_to er

# now the primary's far side goes: the next healthy path is bk, not er2
far_gone er
check "the site moves to bk (route via bk0)" wait_for 5 "route bk0" route_dev bk0
check "bk carries the site" p_is gw azure bk active true
check "the broken er2 carries nothing" p_is gw azure er2 active false
check "the decision names er -> bk" p_has gw azure site: decisions "er -> bk"
check "a ping reaches the host behind bk" ping_to bk

far_back er
far_back er2
check "tunneld stops cleanly" tunneld_stop gw
finish
