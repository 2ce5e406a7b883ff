#!/usr/bin/env bash
# A reload (SIGHUP) that changes a dead path's probe settings (here: only
# bfd.local added, the address its session already used) gives it new
# probes but keeps its state machine: it stays down and not eligible, its
# flaps stay counted, and the site stays on its healthy backup (no
# blackhole, no "none -> er" event).
#
#   health_reload_dead.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hrldead}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
command -v bird >/dev/null || die "bird (Debian bird2) is not installed"
health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2
health_bird er 192.0.2.1
health_swanctl "$T_DIR/swanctl.conf"
write_sites() {
  tunneld_write_conf gw "$T_DIR/swanctl.conf"
  {
    printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
    er_path er er0 192.0.2.2 10
    printf '        bk {\n          dev = bk0\n          gateway4 = 198.51.100.2\n          priority = 30\n        }\n'
    printf '      }\n    }\n  }\n}\n'
  } >>"$T_DIR/gw/tunneld.conf"
  [ -z "${1:-}" ] || sed -i "s/^\( *\)remote = 192.0.2.2$/&\n\1$1/" "$T_DIR/gw/tunneld.conf"
}
reloaded() { [ "$(reloads)" -gt "$1" ]; }
write_sites
tunneld_start gw
check "er's BFD up" wait_for 15 "er bfd up" p_is gw azure er bfd.state up
check "site on er" wait_for 15 "on er" route_dev er0
far_gone er
check "er down (BFD)" wait_for 5 "er down" p_is gw azure er state down
check "site moved to bk" wait_for 5 "on bk" route_dev bk0
flaps=$(pq gw azure er flaps)
disc=$(pq gw azure er bfd.local_discriminator)
write_sites "local = 192.0.2.1"
n=$(reloads)
events=$(grep -c "site azure:" "$T_DIR/gw/tunneld.log")
kill -HUP "$TUNNELD_PID_gw"
check "reload done" wait_for 15 "reload done" reloaded "$n"
new_disc() { local d; d=$(pq gw azure er bfd.local_discriminator) && [ -n "$d" ] && [ "$d" != "$disc" ]; }
check "er has a new BFD session (new probes)" wait_for 5 "new session" new_disc
# watch 3 s (bounded): the site must never go to er
end=$(($(now_ms) + 3000)) on_er=0
while [ "$(now_ms)" -lt $end ]; do route_dev er0 && { on_er=1; break; }; done
check "after the reload the site stays on bk (er is still dead)" test $on_er = 0
check "er still down after the reload" p_is gw azure er state down
check "er not eligible after the reload" p_is gw azure er eligible false
check "er's flaps carried over ($flaps)" p_is gw azure er flaps "$flaps"
check "sensors' traffic still flows via bk" ping_to bk
check "no decision event after the reload (the site stays on bk)" \
  test "$(grep -c "site azure:" "$T_DIR/gw/tunneld.log")" = "$events"
finish
