#!/usr/bin/env bash
# SIGHUP with routes configured: changed prefixes, fail_closed,
# nexthop_compat_mode and the peers' addresses (connections file) are
# applied; a changed table or protocol, or a routes section that does not
# parse, is refused naming the key, everything that runs is kept (routes
# unchanged), and `tunnelctl -j routes` carries the refusal in "problems"
# until a good reload.
#
#   routes_reload.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtrel}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
veth_pair gw eth0 198.51.100.1/24 er eth1 198.51.100.9/24
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24

# the connection's peer (198.51.100.2) never answers: only its address matters
swanctl_conf() {
  cat >"$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = $1
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
}
# write_conf PREFIXES [extra routes keys...]
write_conf() {
  local prefixes=$1 kv extra=""
  shift
  for kv in "$@"; do extra+="    $kv
"; done
  tunneld_write_conf gw "$T_DIR/swanctl.conf"
  cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  routes {
${extra}    sites {
      west {
        prefixes = $prefixes
        paths {
          er {
            dev = er0
            gateway4 = 192.0.2.2
            priority = 10
          }
          vpn {
            dev = ipsec0
            priority = 20
            child = azure.sensors
          }
        }
      }
    }
  }
}
CONF
}
routes_of() { nsx gw ip -4 route show table "$1" | sort; }
has() { nsx gw ip -4 route show table "${2:-1160}" | grep -q "^$1"; }
covers() { nsx gw ip -4 route show table 1160 | grep -c 'metric 4096'; }
throw_for() { nsx gw ip -4 route show table 1160 type throw | grep -q "^throw $1 "; }
problems() {
  tctl gw -j routes | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin).get("problems", ["(no problems member)"])))'
}
no_problems() { [ -z "$(problems)" ]; }
reloads() { grep -c 'SIGHUP: reloading' "$T_DIR/gw/tunneld.log"; }
# hup: SIGHUP, then waits until the reload (routes and connections) is done
hup() {
  local n
  n=$(reloads)
  kill -HUP "$TUNNELD_PID_gw"
  wait_for 10 "reload logged" sh -c "[ \$(grep -c 'SIGHUP: reloading' '$T_DIR/gw/tunneld.log') -gt $n ]" || return 1
  # the connections are loaded after the routes: their summary ends a reload
  wait_for 10 "reload done" sh -c "[ \$(grep -c 'connections loaded' '$T_DIR/gw/tunneld.log') -gt $n ]"
}

swanctl_conf 198.51.100.2
write_conf 100.64.2.0/24
tunneld_start gw
check "started: the site's route in table 1160" wait_for 10 "route" has 100.64.2.0/24
check "the peer's address is thrown out of table 1160" throw_for 198.51.100.2
check "no problems at start" no_problems

write_conf "100.64.2.0/24, 100.64.4.0/24"
hup || die "reload 1 did not finish"
check "reload: the new prefix is applied" wait_for 5 "new prefix" has 100.64.4.0/24
check "reload: no problems" no_problems

write_conf "100.64.2.0/24, 100.64.4.0/24" "fail_closed = no"
hup || die "reload 2 did not finish"
nocovers() { [ "$(covers)" = 0 ]; }
check "reload: fail_closed = no removes the covers" wait_for 5 "covers gone" nocovers
check "reload: the group routes stay" has 100.64.4.0/24

write_conf "100.64.2.0/24, 100.64.4.0/24" "nexthop_compat_mode = 0"
hup || die "reload 3 did not finish"
check "reload: nexthop_compat_mode = 0 applied in the namespace" \
  test "$(nsx gw cat /proc/sys/net/ipv4/nexthop_compat_mode)" = 0
twocovers() { [ "$(covers)" = 2 ]; }
check "reload: fail_closed back on (default) adds the covers" wait_for 5 "covers back" twocovers

swanctl_conf 198.51.100.3
hup || die "reload 4 did not finish"
check "reload: the new peer address is thrown out" wait_for 5 "new throw" throw_for 198.51.100.3
check "reload: the old peer's throw route is gone" sh -c "! ip -n $TEST-gw route show table 1160 type throw | grep -q 198.51.100.2"

routes_of 1160 >"$T_DIR/before"
write_conf "100.64.2.0/24, 100.64.4.0/24, 100.64.5.0/24" "table = 1170"
hup || die "reload 5 did not finish"
check "a changed table is refused, naming the key" grep -q \
  "routes not (fully) reloaded: .*tunneld.routes.table: changed from 1160 to 1170, which needs a restart" "$T_DIR/gw/tunneld.log"
check "refused: routes of table 1160 unchanged (the new prefix not applied)" \
  sh -c "ip -n $TEST-gw -4 route show table 1160 | sort | cmp -s - '$T_DIR/before'"
check "refused: nothing in table 1170" test -z "$(routes_of 1170)"
check "tunnelctl -j routes: problems name the refused key" sh -c "$(declare -f tctl problems); TUNNELCTL='$TUNNELCTL' T_DIR='$T_DIR' problems | grep -q 'reload refused.*tunneld.routes.table: changed from 1160 to 1170'"

write_conf "100.64.2.0/24, 100.64.4.0/24" "protocol = 117"
hup || die "reload 6 did not finish"
check "a changed protocol is refused, naming the key" grep -q \
  "tunneld.routes.protocol: changed from 116 to 117, which needs a restart" "$T_DIR/gw/tunneld.log"
check "refused: routes unchanged" \
  sh -c "ip -n $TEST-gw -4 route show table 1160 | sort | cmp -s - '$T_DIR/before'"

write_conf "100.64.2.0/24, 100.64.4.0/24" "tabel = 1170"
hup || die "reload 7 did not finish"
check "a routes section that does not parse is refused, naming the key" grep -q \
  "routes not (fully) reloaded: .*tunneld.routes: unknown key 'tabel'" "$T_DIR/gw/tunneld.log"
check "tunnelctl -j routes: problems say so" sh -c "$(declare -f tctl problems); TUNNELCTL='$TUNNELCTL' T_DIR='$T_DIR' problems | grep -q \"unknown key 'tabel'\""

# a new connection whose peer is inside a running site's prefix: the routes
# of the reload are refused, but the connection loads, so its address must
# be thrown out of the table that keeps running
write_conf "100.64.2.0/24, 100.64.4.0/24"
swanctl_conf 198.51.100.3
cat >>"$T_DIR/swanctl.conf" <<CONF
connections {
  inside {
    remote_addrs = 100.64.4.7
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      c {
        remote_ts = 100.64.9.0/24
      }
    }
  }
}
CONF
hup || die "reload 8 did not finish"
check "a new peer inside a site's prefix: the reload is refused naming it" grep -q \
  "tunneld.routes.sites.west.prefixes: prefix 100.64.4.0/24 contains 100.64.4.7, the remote address of connection 'inside'" "$T_DIR/gw/tunneld.log"
check "its address is thrown out of the running table all the same" wait_for 5 "throw" throw_for 100.64.4.7
check "the running site keeps its prefix" has 100.64.4.0/24

write_conf "100.64.2.0/24"
hup || die "reload 9 did not finish"
gone4() { ! has 100.64.4.0/24; }
check "a good reload applies again (prefix removed)" wait_for 5 "prefix removed" gone4
check "and clears the problems" no_problems
check "tunneld stops cleanly" tunneld_stop gw
finish
