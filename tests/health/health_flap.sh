#!/usr/bin/env bash
# A flapping path is dampened: er (BFD to BIRD 2, priority 10) loses its far
# side and gets it back again and again (bounded: at most 6 flaps), each
# fall adding 1000 to its penalty (half-life 2 s, suppress at 2000, reuse
# below 750). Once suppressed it is reported as such (state "suppressed",
# the reason says "dampened") and carries nothing while its BFD is up; the
# site stays on bk. When the penalty has decayed below reuse (and er has
# been good for min_good) the site returns to er.
#
#   health_flap.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hflap}
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
tunneld_write_conf gw "$T_DIR/swanctl.conf"
{
  printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
  er_path er er0 192.0.2.2 10 "min_good = 1s" "dampening {" "  penalty = 1000" \
    "  suppress = 2000" "  reuse = 750" "  half_life = 2s" "  max_suppress = 30s" "}"
  printf '        bk {\n          dev = bk0\n          gateway4 = 198.51.100.2\n          priority = 20\n        }\n'
  printf '      }\n    }\n  }\n}\n'
} >>"$T_DIR/gw/tunneld.conf"
tunneld_start gw

check "er's BFD up" wait_for 15 "er bfd up" p_is gw azure er bfd.state up
check "er carries the site" wait_for 5 "er active" p_is gw azure er active true

# flap: the far side goes until BFD is down, comes back until BFD is up
flaps=0
while [ "$flaps" -lt 6 ] && ! p_is gw azure er state suppressed; do
  far_gone er
  wait_for 3 "bfd down" p_is gw azure er bfd.state down || break
  far_back er
  flaps=$((flaps + 1))
  p_is gw azure er state suppressed && break
  wait_for 5 "bfd up" p_is gw azure er bfd.state up || break
done
log "$flaps flap(s)"
check "er is suppressed after flapping" wait_for 5 "suppressed" p_is gw azure er state suppressed
check "reported as dampened, with its penalty" p_has gw azure er reason "dampened"
check "penalty at or above suppress" \
  python3 -c "import sys; sys.exit(0 if float('$(pq gw azure er penalty)') >= 1500 else 1)"
check "er counts its flaps" python3 -c "import sys; sys.exit(0 if int('$(pq gw azure er flaps)') >= 2 else 1)"
check "er's BFD is up again" wait_for 5 "bfd up" p_is gw azure er bfd.state up
check "while suppressed er carries nothing: the site is on bk" p_is gw azure bk active true
check "the kernel routes via bk0" route_dev bk0
check "a ping reaches the host behind bk" ping_to bk
# the penalty decays (half-life 2 s): reported lower while still suppressed
p1=$(pq gw azure er penalty)
check "the penalty decays" wait_for 5 "decay" \
  sh -c "$(declare -f pq tctl); TUNNELCTL=$TUNNELCTL T_DIR=$T_DIR; \
    python3 -c \"import sys; sys.exit(0 if float('\$(pq gw azure er penalty)') < $p1 - 100 else 1)\""
check "reused after the penalty decayed: the site returns to er (route via er0)" \
  wait_for 20 "route er0" route_dev er0
check "er up again" p_is gw azure er state up
check "penalty below reuse" python3 -c "import sys; sys.exit(0 if float('$(pq gw azure er penalty)') < 750 else 1)"
check "a ping reaches the host behind er" ping_to er

check "tunneld stops cleanly" tunneld_stop gw
finish
