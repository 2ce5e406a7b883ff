#!/usr/bin/env bash
# A healthy path probed only by echo whose window fills after the startup
# grace (window = 20 at the default 1 s interval: up to 22 s, grace 15 s):
# `tunneld -n` warns and names the key; when the grace ends the path is
# judged on the replies so far, so it stays up and the site stays on it (no
# "no verdict within the startup grace" blackhole).
#
#   health_echo_grace.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hegrace}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_swanctl "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        er {
          type = expressroute
          dev = er0
          gateway4 = 192.0.2.2
          echo {
            target = 100.64.2.1
            window = 20
          }
        }
      }
    }
  }
}
CONF
nrc=0
nsx gw "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/n.out" 2>&1 || nrc=$?
check "-n accepts the window (rc $nrc)" test "$nrc" = 0
check "-n warns that the window fills after the grace, naming the key" \
  grep -q "azure.paths.er.echo: the window fills in up to 22000 ms" "$T_DIR/n.out"
tunneld_start gw
check "site on er" wait_for 5 "on er" route_dev er0
# watch until 19 s after start (bounded): the grace ends at 15 s
end=$(($(now_ms) + 19000)) bad=0
while [ "$(now_ms)" -lt $end ]; do
  route_dev er0 || { bad=1; break; }
  sleep 0.2
done
log "er: state=$(pq gw azure er state) reason=$(pq gw azure er reason)"
check "the site stayed on er past the startup grace" test $bad = 0
check "er is up, judged on the replies so far" p_is gw azure er state up
check "sensors' traffic flows via er" ping_to er
finish
