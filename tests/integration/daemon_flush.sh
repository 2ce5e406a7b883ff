#!/usr/bin/env bash
# Issue 7 item 8: tunneld --flush-on-exit (documented in the usage text, the
# man page and docs/routes.md) withdraws tunneld's routes, nexthops and rule
# on SIGTERM; without it they stay for the next run. Also the stop order
# (item 11): SIGTERM while clients keep asking for `routes` stops tunneld
# cleanly (under ASan: no report).
#
#   daemon_flush.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dflush}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
echo "connections { }" > "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm"
sed -i '/dataplane = libipsec/d' "$T_DIR/gw/tunneld.conf"
cat >> "$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  routes {
    sites {
      azure {
        prefixes = 100.64.2.0/24
        paths {
          expressroute {
            dev = er0
            gateway4 = 192.0.2.2
          }
        }
      }
    }
  }
}
CONF
site_routed() { nsx gw ip route show table 1160 | grep -q "^100.64.2.0/24 "; }
rule_there() { nsx gw ip rule | grep -q "lookup 1160"; }
table_empty() { [ -z "$(nsx gw ip route show table 1160)" ]; }
no_nexthops() { [ -z "$(nsx gw ip nexthop show 2>/dev/null)" ]; }

daemon_start gw gw -d 1 --flush-on-exit
check "with --flush-on-exit: the site is routed in table 1160" wait_for $(scaled 10) "route" site_routed
check "and tunneld's rule is there" rule_there
kill -TERM "$TUNNELD_PID_gw"
daemon_exit gw $(scaled 30)
check "SIGTERM: tunneld exits 0 (got $EXIT_STATUS)" [ "$EXIT_STATUS" = 0 ]
check "--flush-on-exit: table 1160 is empty" table_empty
check "--flush-on-exit: no nexthop is left" no_nexthops
check "--flush-on-exit: the rule is gone" sh -c "! ip -n $TEST-gw rule | grep -q 'lookup 1160'"

daemon_start gw gw -d 1
check "without the flag: the site is routed in table 1160" wait_for $(scaled 10) "route" site_routed
# clients asking for the routes while tunneld stops
cat > "$T_DIR/asker.sh" <<SH
for i in \$(seq 400); do "$TUNNELCTL" -s "$T_DIR/gw/ctl" routes >/dev/null 2>&1 || true; done
SH
spawn "$T_DIR/asker.log" bash "$T_DIR/asker.sh"
ASKER=$LAST_PID
wait_for 10 "routes asked" tctl gw routes
kill -TERM "$TUNNELD_PID_gw"
daemon_exit gw $(scaled 30)
check "SIGTERM while clients ask for routes: tunneld exits 0 (got $EXIT_STATUS)" [ "$EXIT_STATUS" = 0 ]
kill "$ASKER" 2>/dev/null
check "without the flag: the site's route stays for the next run" site_routed
check "without the flag: the rule stays" rule_there
check "no sanitizer report" no_sanitizer_report gw
finish
