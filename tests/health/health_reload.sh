#!/usr/bin/env bash
# Reload (SIGHUP) of the sites and paths, as path health sees it:
#  - a path whose probes are unchanged keeps its BFD session running: same
#    discriminator, no Down on either side (BIRD's session "Since" unchanged);
#    new thresholds apply; changed BFD intervals go through a poll sequence
#    (BIRD shows the new interval, the session stays Up);
#  - an added path gets its own session; a removed one is freed (BIRD sees
#    it go down) and leaves the paths document;
#  - a reload health refuses (a BFD source address this host does not have)
#    changes nothing: no new site or path, the routes as they were, the
#    running sessions untouched, the refusal in the routes document's
#    problems.
#
#   health_reload.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hreload}
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
# bird_row NAME ADDR -> "State Since Timeout" of BIRD's session with ADDR
bird_row() {
  nsx "$1" birdc -s "$T_DIR/bird-$1/bird.ctl" show bfd sessions |
    awk -v a="$2" '$1 == a { print $3, $4, $NF }'
}
bird_state_is() { [ "$(bird_row "$1" "$2" | cut -d' ' -f1)" = "$3" ]; }
bird_not_up() { ! bird_state_is "$1" "$2" Up; }
no_path() { ! pq gw azure "$1" name >/dev/null 2>&1; }
refusal_shown() {
  tctl gw -j routes | grep -q "reload refused, previous routes kept: .*path health: site 'azure' path 'er3': bfd"
}
bird_timeout_is() { [ "$(bird_row "$1" "$2" | cut -d' ' -f1,3)" = "$3" ]; }

health_swanctl "$T_DIR/swanctl.conf"
# write_sites [extra path blocks...] -> the settings file with er and bk
write_sites() {
  local er_extra=$1; shift
  tunneld_write_conf gw "$T_DIR/swanctl.conf"
  {
    printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
    # shellcheck disable=SC2086
    er_path er er0 192.0.2.2 10 $er_extra
    printf '        bk {\n          dev = bk0\n          gateway4 = 198.51.100.2\n          priority = 30\n        }\n'
    local p
    for p in "$@"; do printf '%s\n' "$p"; done
    printf '      }\n    }\n  }\n}\n'
  } >>"$T_DIR/gw/tunneld.conf"
}
bfd_downs() { grep -c "remote 192.0.2.2, local [^(]*(single hop, dev er0[^)]*): up -> " "$T_DIR/gw/tunneld.log"; }

write_sites "min_good=10s"
tunneld_start gw
check "er's BFD up" wait_for 15 "er bfd up" p_is gw azure er bfd.state up
check "BIRD's session with us Up" wait_for 5 "bird up" bird_state_is er 192.0.2.1 Up
disc=$(pq gw azure er bfd.local_discriminator)
since=$(bird_row er 192.0.2.1 | cut -d' ' -f2)
downs=$(bfd_downs)

# 1: er2 added, er's thresholds changed (min_good), its probes the same
write_sites "min_good=1s" "$(er_path er2 er1 203.0.113.2 20)"
check "reload 1 done" hup
check "er2 added: its BFD comes up" wait_for 15 "er2 up" p_is gw azure er2 bfd.state up
check "er kept its BFD session (same discriminator)" p_is gw azure er bfd.local_discriminator "$disc"
check "er's session never left Up (our log)" test "$(bfd_downs)" = "$downs"
check "BIRD's session with us never went down (same Since)" \
  test "$(bird_row er 192.0.2.1 | cut -d' ' -f1-2)" = "Up $since"

# 2: er's intervals change: a poll sequence, the session stays Up
write_sites "min_good=1s" "$(er_path er2 er1 203.0.113.2 20)"
sed -i '0,/min_tx = 100ms/s//min_tx = 250ms/' "$T_DIR/gw/tunneld.conf"
check "reload 2 done" hup
# BIRD's detection timeout: 3 x max(its rx 100 ms, our tx 250 ms)
check "BIRD sees our new transmit interval (poll sequence), still Up" \
  wait_for 5 "bird timeout" bird_timeout_is er 192.0.2.1 "Up 0.750"
check "er still the same session" p_is gw azure er bfd.local_discriminator "$disc"
check "er's session never left Up" test "$(bfd_downs)" = "$downs"

# 3: a reload health refuses: er3's BFD source address is not on this host
cp "$T_DIR/gw/tunneld.conf" "$T_DIR/running.conf"
routes_before=$(nsx gw ip route show table 1160; nsx gw ip nexthop)
write_sites "min_good=1s" "$(er_path er2 er1 203.0.113.2 20)" \
  "$(er_path er3 bk0 198.51.100.2 40 | sed 's/multiplier = 3/multiplier = 3\n            local = 198.51.100.77/')"
sed -i 's/prefixes = 100.64.2.0\/24/prefixes = 100.64.2.0\/24, 100.64.3.0\/24/' "$T_DIR/gw/tunneld.conf"
check "reload 3 done" hup
check "refused: no er3 in the paths document" no_path er3
check "refused: the routes are as they were (no 100.64.3.0/24)" \
  test "$(nsx gw ip route show table 1160; nsx gw ip nexthop)" = "$routes_before"
check "the routes document says why" refusal_shown
check "er's session untouched" p_is gw azure er bfd.local_discriminator "$disc"
check "er2 still there and up" p_is gw azure er2 bfd.state up

# 4: er2 removed: its session is freed (BIRD sees it go), it leaves the document
write_sites "min_good=1s"
check "reload 4 done" hup
check "er2 left the paths document" no_path er2
check "BIRD's session on er2 is no longer Up" wait_for 5 "bird er2 down" bird_not_up er2 203.0.113.1
check "er still the same session, Up" p_is gw azure er bfd.local_discriminator "$disc"
check "er's session never left Up" test "$(bfd_downs)" = "$downs"
check "er carries the site" p_is gw azure er active true

check "tunneld stops cleanly" tunneld_stop gw
finish
