#!/usr/bin/env bash
# The deprecated location tunneld.routes.sites is still read for one
# release: tunneld -n and tunneld itself say it is deprecated (a warning
# naming both locations), and it makes the same routes as the same sites in
# tunneld.sites: two sites, IPv4 and IPv6 prefixes, two ExpressRoute-style
# paths of equal priority with weights 1 and 3 (one ECMP nexthop group), a
# less preferred VPN path bound to a CHILD_SA that is down. Both runs start
# from an empty table (flush_on_exit = yes) so that the second cannot adopt
# the first one's routes; table 1160, the policy rules, the nexthop groups
# (ids normalised) and `tunnelctl -j routes` are compared.
#
#   routes_conf_legacy.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtlegacy}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
veth_pair gw er1 198.51.100.1/24 er eth1 198.51.100.2/24
nsx gw ip -6 addr add 2001:db8:1::1/64 dev er0 nodad
nsx er ip -6 addr add 2001:db8:1::2/64 dev eth0 nodad

cat >"$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = 203.0.113.10
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

SITES='      west {
        prefixes = 100.64.2.0/24, 2001:db8:200::/48
        paths {
          er-a {
            dev = er0
            gateway4 = 192.0.2.2
            gateway6 = 2001:db8:1::2
            priority = 10
            weight = 1
          }
          er-b {
            dev = er1
            gateway4 = 198.51.100.2
            priority = 10
            weight = 3
          }
          vpn {
            dev = ipsec0
            child = azure.sensors
            priority = 20
          }
        }
      }
      east {
        prefixes = 100.64.3.0/24
        paths {
          er {
            dev = er1
            gateway4 = 198.51.100.2
          }
        }
      }'
tunneld_write_conf old "$T_DIR/swanctl.conf"
printf 'tunneld {\n  routes {\n    flush_on_exit = yes\n    sites {\n%s\n    }\n  }\n}\n' "$SITES" \
  >>"$T_DIR/old/tunneld.conf"
tunneld_write_conf new "$T_DIR/swanctl.conf"
printf 'tunneld {\n  routes {\n    flush_on_exit = yes\n  }\n  sites {\n%s\n  }\n}\n' "$SITES" \
  >>"$T_DIR/new/tunneld.conf"

for c in old new; do
  ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$c/tunneld.conf" >"$T_DIR/$c.n.out" 2>&1
  echo $? >"$T_DIR/$c.n.rc"
done
DEPR="tunneld.routes.sites is deprecated and read for one release only: move the sites to tunneld.sites"
check "-n accepts the old location" sh -c "[ \$(cat '$T_DIR/old.n.rc') = 0 ] && grep -qF '2 routed sites' '$T_DIR/old.n.out'"
check "-n warns that it is deprecated, naming the file" \
  grep -qF "warning: tunneld.routes: $T_DIR/old/tunneld.conf: $DEPR" "$T_DIR/old.n.out"
check "-n accepts the new location without the warning" sh -c \
  "[ \$(cat '$T_DIR/new.n.rc') = 0 ] && grep -qF '2 routed sites' '$T_DIR/new.n.out' && ! grep -q deprecated '$T_DIR/new.n.out'"

G="ip -n $TEST-gw"
# the routing state, nexthop ids normalised (the kernel numbers them)
dump() {
  {
    $G -4 route show table 1160
    $G -6 route show table 1160
    $G -4 rule show
    $G -6 rule show
    $G nexthop show
  } | sed -E 's/(nhid|id) [0-9]+/\1 N/g; s/group [0-9/,]+/group G/' | sort
  # the groups' members with their weights, by member gateway
  $G nexthop show | awk '/group/ {print $4}' | tr '/' '\n' | sed 's/,/ weight /' |
    while read -r id _ w; do
      $G nexthop show id "$id" | sed -E "s/^id [0-9]+ //; s/$/ weight ${w:-1}/"
    done | sort
  tctl "$1" -j routes | python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d.get("sites", []):
    for p in s.get("paths", []):
        print(s["name"], p["name"], p.get("usable"), p.get("dev"), p.get("gateway4"),
              p.get("gateway6"), p.get("priority"), p.get("weight"), p.get("child"))'
}
table_empty() { [ -z "$($G -4 route show table 1160)$($G -6 route show table 1160)" ]; }
routed() { $G -4 route show table 1160 | grep -q '^100.64.3.0/24 nhid' &&
  $G -6 route show table 1160 | grep -q '^2001:db8:200::/48 nhid'; }

check "the table is empty before the first run" table_empty
for c in old new; do
  tunneld_start "$c" gw
  check "$c location: the sites are routed" wait_for 30 "routes of $c" routed
  dump "$c" >"$T_DIR/$c.routes"
  check "$c location: tunneld stops cleanly" tunneld_stop "$c"
  check "$c location: flush_on_exit left the table empty" wait_for 10 "empty table" table_empty
done
check "tunneld logged the deprecation at start (old location)" \
  grep -qF "$T_DIR/old/tunneld.conf: $DEPR" "$T_DIR/old/tunneld.log"
check "and not for the new location" sh -c "! grep -q deprecated '$T_DIR/new/tunneld.log'"
check "the ECMP group has both paths with their weights" sh -c \
  "grep -q 'via 192.0.2.2 dev er0 .*weight 1' '$T_DIR/new.routes' && grep -q 'via 198.51.100.2 dev er1 .*weight 3' '$T_DIR/new.routes'"
check "the dump is not empty (routes, rules, groups, paths)" sh -c \
  "grep -q '^100.64.2.0/24' '$T_DIR/new.routes' && grep -q '^west vpn False' '$T_DIR/new.routes'"
check "the old and the new location make the same routes, rules, groups and paths" \
  cmp -s "$T_DIR/old.routes" "$T_DIR/new.routes"
cmp -s "$T_DIR/old.routes" "$T_DIR/new.routes" || diff "$T_DIR/old.routes" "$T_DIR/new.routes" | head -20
finish
