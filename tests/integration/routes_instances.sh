#!/usr/bin/env bash
# One tunneld per routing table and per protocol number in a network
# namespace: a second tunneld with its own pid file and sockets but the same
# table (or protocol) is refused by tunneld -n and at start, naming the key,
# and the first one's routes are untouched (before the fix the second one
# started, deleted the first one's routes and both repaired them for ever).
# tunneld -n of the running tunneld's own file still passes; another table
# and protocol run side by side; the lock goes with the process (SIGKILL).
#
#   routes_instances.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtinst}
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
# conf NAME PREFIX [routes keys...]
conf() {
  local name=$1 prefix=$2 kv extra=""
  shift 2
  for kv in "$@"; do extra+="    $kv
"; done
  tunneld_write_conf "$name" "$T_DIR/swanctl.conf"
  cat >>"$T_DIR/$name/tunneld.conf" <<CONF
tunneld {
  routes {
${extra}    sites {
      west {
        prefixes = $prefix
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
}
check_n() {
  ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.n" 2>&1
  echo $? >"$T_DIR/$1.nrc"
}
n_ok() { [ "$(cat "$T_DIR/$1.nrc")" = 0 ] || { log "$1: $(cat "$T_DIR/$1.n")"; return 1; }; }
n_refused() {
  [ "$(cat "$T_DIR/$1.nrc")" = 1 ] && grep -qF -- "$2" "$T_DIR/$1.n" || { log "$1: $(cat "$T_DIR/$1.n")"; return 1; }
}
# start_refused NAME PATTERN: tunneld exits non-zero, its log names PATTERN
start_refused() {
  local pid rc
  ip netns exec "$TEST-gw" "$TUNNELD" -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.start" 2>&1 &
  pid=$!
  T_PIDS+=("$pid")
  wait_for 30 "$1 exits" sh -c "! kill -0 $pid" || { kill -TERM "$pid"; wait "$pid"; return 1; }
  wait "$pid"
  rc=$?
  [ "$rc" != 0 ] && grep -qF -- "$2" "$T_DIR/$1/tunneld.log" ||
    { log "$1: exit $rc: $(tail -3 "$T_DIR/$1.start")"; return 1; }
}
# what the route engines own (charon's own rule for its table 220 is charon's)
state() { { nsx gw ip route show table all proto 116; nsx gw ip nexthop; nsx gw ip rule | grep 'proto 11'; } | sort; }

conf a 100.64.2.0/24
tunneld_start a gw
site_a() { nsx gw ip route show table 1160 | grep -q '^100.64.2.0/24 nhid'; }
check "A runs and routes its site in table 1160" wait_for 10 "A's route" site_a
state >"$T_DIR/before"
charon_rule() { nsx gw ip rule | grep -q '^1161:.*lookup 220'; }
check "A's charon has its rule for table 220 after tunneld's" charon_rule
check_n a
check "tunneld -n of A's own file passes while A runs" n_ok a

conf b 100.64.5.0/24
check_n b
check "-n refuses a second tunneld on table 1160, naming the key" n_refused b \
  "tunneld.routes.table: table 1160 is already held by another route engine in this network namespace"
check "B refuses to start, naming the key" start_refused b \
  "tunneld.routes.table: table 1160 is already held by another route engine"
check "and the holder (A's pid)" grep -qF "in this network namespace (held by pid $TUNNELD_PID_a, uid 0)" "$T_DIR/b/tunneld.log"
check "A's routes, nexthops and rules are untouched" sh -c "$(declare -f state nsx); TEST=$TEST state | cmp -s - '$T_DIR/before'"
check "A's charon rule is still there (B's charon never started)" charon_rule
check "B's site was never routed" sh -c "! ip -n $TEST-gw route show table all | grep -q 100.64.5.0"

conf c 100.64.6.0/24 "table = 1170"
check_n c
check "-n refuses the same protocol number in another table" n_refused c \
  "tunneld.routes.protocol: protocol 116 is already held by another route engine"
check "C (table 1170, protocol 116) refuses to start" start_refused c "tunneld.routes.protocol: protocol 116 is already held"

conf d 100.64.6.0/24 "table = 1170" "protocol = 117"
# A's charon holds UDP 500/4500 here: D's charon takes its own IKE ports (a
# charon with no IKE socket is refused, daemon_fatal)
echo "tunneld { port = 1500
port_nat_t = 14500 }" >>"$T_DIR/d/tunneld.conf"
check_n d
check "-n passes for another table and protocol" n_ok d
tunneld_start d gw
site_d() { nsx gw ip route show table 1170 | grep -q '^100.64.6.0/24 nhid'; }
check "D runs beside A with its own table and protocol" wait_for 10 "D's route" site_d
check "A still has its routes" sh -c "$(declare -f state nsx); TEST=$TEST state | grep -v 'proto 117\|table 1170\|lookup 1170' | cmp -s - '$T_DIR/before'"
check "D stops cleanly" tunneld_stop d

# the lock goes with the process, however it ends
kill -KILL "$TUNNELD_PID_a"
wait "$TUNNELD_PID_a" 2>/dev/null
check_n b
check "after A is killed, -n of B passes" n_ok b
tunneld_start b gw
site_b() { nsx gw ip route show table 1160 | grep -q '^100.64.5.0/24 nhid'; }
check "B starts on table 1160 (and takes A's routes over)" wait_for 10 "B's route" site_b
check "B stops cleanly" tunneld_stop b
finish
