#!/usr/bin/env bash
# Paths added by a SIGHUP learn their link at once: the route engine's
# events for them went before health knew them, so the glue seeds health
# with each path's own link and next-hop state (routes_path_link_state,
# whatever health's ranking says). A path whose link has no carrier is
# reported down (link down, carrier false) right after the reload; one whose
# link is up becomes up. The same holds at start for a path whose link is
# down. Before the fix both stayed "init" with carrier unknown until a link
# event.
#
#   health_hup_link.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hhlink}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"

health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2
health_far dn dn0 203.0.113.1 203.0.113.2
# dn0 loses its carrier: the far end of the veth goes down
nsx dn ip link set eth0 down
nc_dn0() { nsx gw ip link show dn0 | grep -q NO-CARRIER; }
wait_for 5 "dn0 without carrier" nc_dn0 || die "dn0 kept its carrier"

health_swanctl "$T_DIR/swanctl.conf"
# path NAME DEV GW PRIO -> a path block without probes
path() {
  printf '        %s {\n          type = expressroute\n          dev = %s\n          gateway4 = %s\n          priority = %s\n        }\n' "$@"
}
# write_sites [path blocks...] -> the settings file with the site azure
write_sites() {
  tunneld_write_conf gw "$T_DIR/swanctl.conf"
  {
    printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
    local p
    for p in "$@"; do printf '%s' "$p"; done
    printf '      }\n    }\n  }\n}\n'
  } >>"$T_DIR/gw/tunneld.conf"
}

# at start: er (link up) and dn (no carrier)
write_sites "$(path er er0 192.0.2.2 10)" "$(path dn dn0 203.0.113.2 5)"
tunneld_start gw
check "start: er up" wait_for 5 "er up" p_is gw azure er state up
check "start: dn down at once" wait_for 2 "dn down" p_is gw azure dn state down
check "start: dn's reason is its link" p_is gw azure dn reason "link down"
check "start: dn's carrier false" p_is gw azure dn carrier false
check "start: er carries the site" wait_for 5 "er active" p_is gw azure er active true

# SIGHUP adds bk (link up) and dn2 (the same link without carrier, another name)
write_sites "$(path er er0 192.0.2.2 10)" "$(path dn dn0 203.0.113.2 5)" \
  "$(path bk bk0 198.51.100.2 20)" "$(path dn2 dn0 203.0.113.2 30)"
check "reload done" hup
check "added dn2 (no carrier) reported down at once" wait_for 2 "dn2 down" p_is gw azure dn2 state down
check "dn2's reason is its link" p_is gw azure dn2 reason "link down"
check "dn2's carrier false" p_is gw azure dn2 carrier false
check "added bk (link up) becomes up" wait_for 2 "bk up" p_is gw azure bk state up
check "bk's carrier true" p_is gw azure bk carrier true
check "bk's next hop ok" p_is gw azure bk next_hop ok
check "er still carries the site" p_is gw azure er active true

# and dn's link coming back is followed as before (the engine's event)
nsx dn ip link set eth0 up
check "dn up when its carrier is back" wait_for 10 "dn up" p_is gw azure dn state up
check "dn2 up too" wait_for 10 "dn2 up" p_is gw azure dn2 state up

check "tunneld stops cleanly" tunneld_stop gw
finish
