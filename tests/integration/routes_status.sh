#!/usr/bin/env bash
# What the route engine hits while tunneld runs is in `tunnelctl routes`
# "problems" (exit status 1) for as long as it stands, and leaves when it is
# resolved: a route of someone else on a site's prefix in table 1160 (the
# engine retries and logs "collides" every few seconds; before the fix
# tunnelctl said "problems": [] and exit 0), a rule of someone else at
# tunneld's priority 1160 (it would shadow tunneld's rule once that one is
# re-added), a rule matching every packet consulted before tunneld's (e.g.
# charon's own "lookup 220" at 220). A rule at priority 1160 present before
# start is refused by tunneld -n and at start; an earlier catch-all rule is
# a problem from the start.
#
#   routes_status.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtstat}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
veth_pair gw eth0 198.51.100.1/24 er eth1 198.51.100.9/24
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
cat >"$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = 198.51.100.2
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      sensors {
        remote_ts = 100.64.2.0/24
      }
    }
  }
}
CONF
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  routes {
    sites {
      west {
        prefixes = 100.64.2.0/24
        paths {
          er {
            dev = er0
            gateway4 = 192.0.2.2
          }
        }
      }
    }
  }
}
CONF
problems() {
  tctl gw -j routes | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["problems"]))'
}
# has_problem PATTERN: listed, and tunnelctl routes exits 1
has_problem() { problems | grep -qF -- "$1" && ! tctl gw routes >/dev/null; }
no_problems() { [ -z "$(problems)" ] && tctl gw routes >/dev/null; }
ours() { nsx gw ip route show table 1160 | grep -q '^100.64.2.0/24 nhid'; }
G="ip -n $TEST-gw"

# a rule of someone else at tunneld's priority, before start: refused
$G rule add pref 1160 lookup main
ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/n.out" 2>&1
echo $? >"$T_DIR/n.rc"
check "-n refuses a rule of someone else at priority 1160" sh -c \
  "[ \$(cat '$T_DIR/n.rc') = 1 ] && grep -qF 'tunneld.routes: policy rule priority 1160 is also held by IPv4 rule 1160 from all lookup 254 (protocol 0), not made by tunneld' '$T_DIR/n.out'"
ip netns exec "$TEST-gw" "$TUNNELD" -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/start.out" 2>&1 &
spid=$!
T_PIDS+=("$spid")
gone() { ! our_child "$spid"; }
check "tunneld refuses to start with it" wait_for 30 "exit" gone
if gone; then
  wait "$spid"
  src=$?
else
  kill -TERM "$spid"
  wait "$spid"
  src=running
fi
check "its exit status is non-zero" test "$src" != running -a "$src" != 0
check "the log names the rule" grep -qF "policy rule priority 1160 is also held by IPv4 rule 1160 from all lookup 254" "$T_DIR/gw/tunneld.log"
check "nothing of tunneld's was left: no rule, no route" sh -c "! $G rule | grep -q 'lookup 1160' && [ -z \"\$($G route show table 1160 2>/dev/null)\" ]"
$G rule del pref 1160 lookup main

# an earlier catch-all: tunneld starts, and says so from the start
$G rule add pref 900 lookup main
rm -f "$T_DIR/gw/tunneld.log"
tunneld_start gw
check "started: the site's route in table 1160" wait_for 10 "route" ours
check "a rule of someone else matching every packet before tunneld's is a problem" has_problem \
  "running: IPv4 rule 900 from all lookup 254 (protocol 0), not made by tunneld, comes before tunneld's rule 1160 and takes traffic of the sites"
check "and a warning in the log" grep -qF "IPv4 rule 900 from all lookup 254 (protocol 0), not made by tunneld, comes before tunneld's rule 1160" "$T_DIR/gw/tunneld.log"
$G rule del pref 900 lookup main
check "it goes when the rule goes" wait_for 5 "no problems" no_problems

# a route of someone else replaces the site's route while tunneld runs
$G route replace 100.64.2.0/24 via 192.0.2.2 dev er0 table 1160
check "a collision with someone else's route is a problem while it stands" wait_for 10 "collision" \
  has_problem "running: site 'west' prefix 100.64.2.0/24 collides with a route in table 1160 not made by tunneld"
check "the engine keeps logging it (retries)" grep -q "collides with a route in table 1160" "$T_DIR/gw/tunneld.log"
$G route del 100.64.2.0/24 table 1160 proto boot
check "the site's route is back once the foreign one is gone" wait_for 15 "route back" ours
check "and the problem goes" wait_for 5 "no problems" no_problems

# rules of someone else appear while tunneld runs
$G rule add pref 1160 lookup main
check "a rule at tunneld's priority added while running is a problem" wait_for 5 "same priority" \
  has_problem "running: policy rule priority 1160 is also held by IPv4 rule 1160 from all lookup 254"
$G rule del pref 1160 lookup main
check "gone with the rule" wait_for 5 "no problems" no_problems
$G -6 rule add pref 100 blackhole
check "an IPv6 blackhole rule before tunneld's is a problem" wait_for 5 "blackhole" \
  has_problem "IPv6 rule 100 from all blackhole (protocol 0), not made by tunneld, comes before tunneld's rule 1160"
$G -6 rule del pref 100 blackhole
# an earlier rule to a table of its own: a problem once that table routes
# part of a site (as charon's "lookup 220" at 220 with its routes for the
# CHILD_SA's subnets), not before
$G rule add pref 220 lookup 220
$G route add 203.0.113.0/24 via 192.0.2.2 table 220
check "an earlier rule to a table routing other prefixes is no problem" sh -c "sleep 0.3; $(declare -f problems tctl no_problems); TUNNELCTL='$TUNNELCTL' T_DIR='$T_DIR' no_problems"
$G route add 100.64.2.0/25 via 192.0.2.2 table 220
check "it is one once its table routes part of a site" wait_for 5 "table 220" \
  has_problem "running: IPv4 rule 220 from all lookup 220 (protocol 0), not made by tunneld, comes before tunneld's rule 1160 and takes traffic of the sites"
$G route del 100.64.2.0/25 table 220
check "and no longer when that route goes" wait_for 5 "no problems" no_problems
$G rule del pref 220 lookup 220
$G rule add pref 100 from 203.0.113.0/24 lookup main
check "a rule with a selector (only some packets) is no problem" sh -c "sleep 0.3; $(declare -f problems tctl no_problems); TUNNELCTL='$TUNNELCTL' T_DIR='$T_DIR' no_problems"
$G rule del pref 100 from 203.0.113.0/24 lookup main
check "tunneld stops cleanly" tunneld_stop gw
finish
