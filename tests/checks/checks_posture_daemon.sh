#!/usr/bin/env bash
# Issue 10's outbound-only posture in tunneld: a sensor host behind the
# gateway (100.64.1.130, subnet 100.64.1.128/25), the Azure host 100.64.2.1
# behind path er. Posture off: a TCP connection from Azure to the sensor is
# forwarded and tunnelctl says off. SIGHUP with posture.enforce = yes: the
# same connection is dropped while the sensor's own connection to Azure
# works, tunnelctl says enforced; the table deleted behind tunneld's back:
# tunnelctl says not enforced, with why; enforce = no again: the table goes.
#
#   checks_posture_daemon.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-checks_posture}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"

health_gw
health_far er er0 192.0.2.1 192.0.2.2
netns_new sn
veth_pair gw sn0 100.64.1.129/25 sn eth0 100.64.1.130/25
nsx sn ip route add default via 100.64.1.129
nsx gw sysctl -qw net.ipv4.ip_forward=1

# listeners: one on the sensor (Azure -> sensor), one on the Azure host
listen() { # NS ADDR PORT
  spawn "$T_DIR/listen-$1.log" ip netns exec "$TEST-$1" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"hello\n"); c.close()' "$2" "$3"
  wait_for 10 "listener in $1" sh -c "ip netns exec $TEST-$1 ss -ltn | grep -q '$2:$3'" ||
    die "listener in $1"
}
listen sn 100.64.1.130 8080
listen er 100.64.2.1 8443
# connect NS ADDR PORT SOURCE -> a TCP connection from SOURCE opens and
# reads the greeting (2 s)
connect() {
  ip netns exec "$TEST-$1" timeout 3 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2,
                             source_address=(sys.argv[3], 0))
sys.exit(0 if s.recv(16) == b"hello\n" else 1)' "$2" "$3" "$4" 2>/dev/null
}
from_azure() { connect er 100.64.1.130 8080 100.64.2.1; }
refused_from_azure() { ! from_azure; }

printf 'connections {\n}\n' >"$T_DIR/swanctl.conf"
write_conf() { # ENFORCE [TABLE]
  local table=${2:-${TEST}_post}
  tunneld_write_conf gw "$T_DIR/swanctl.conf"
  cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  posture {
    enforce = $1
    table = $table
  }
  checks {
    interval = 30s
  }
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        er {
          type = expressroute
          dev = er0
          gateway4 = 192.0.2.2
        }
      }
      sensors {
        ot {
          subnets = 100.64.1.128/25
          endpoints = blob.core.windows.net:443
        }
      }
    }
  }
}
CONF
}
posture() { tctl gw -j paths | python3 -c 'import json,sys; p=json.load(sys.stdin)["posture"]; print(p["state"]); print(p.get("reason") or "")'; }
posture_is() { [ "$(posture | head -1)" = "$1" ]; }

write_conf no
tunneld_start gw
check "the site is routed via er" wait_for 10 "route er0" route_dev er0
check "posture off in tunnelctl" wait_for 5 "posture off" posture_is off
check "posture off: Azure can open a connection to the sensor" from_azure
check "the sensor reaches Azure" connect sn 100.64.2.1 8443 100.64.1.130

write_conf yes
hup
check "posture enforced in tunnelctl" wait_for 5 "enforced" posture_is enforced
check "tunnelctl paths (text) says enforced" sh -c "timeout 20 '$TUNNELCTL' -s '$T_DIR/gw/ctl' paths | grep -q 'posture: enforced'"
check "enforced: Azure cannot open a connection to the sensor" refused_from_azure
check "enforced: the sensor's own connection to Azure works" connect sn 100.64.2.1 8443 100.64.1.130

nsx gw nft delete table inet "${TEST}_post"
check "the table deleted behind tunneld's back: not enforced" \
  wait_for 5 "not enforced" posture_is not-enforced
reason_has() { posture | tail -1 | grep -qF -- "$1"; }
check "... with the reason" reason_has "a new connection from Azure to the sensors would be forwarded"

hup # applied again
check "a reload puts it back" wait_for 5 "enforced again" posture_is enforced

# renamed by a reload: the old table goes, the new one enforces
tables() { nsx gw nft -j list tables | python3 -c 'import json,sys; print(" ".join(sorted(t["table"]["name"] for t in json.load(sys.stdin)["nftables"] if "table" in t)))'; }
write_conf yes "${TEST}_ren"
hup
check "renamed: enforced" wait_for 5 "enforced (renamed)" posture_is enforced
check "renamed: only the new table is left" [ "$(tables)" = "${TEST}_ren" ]
check "renamed: Azure cannot open a connection to the sensor" refused_from_azure

# a table name nft reads as a keyword: refused by -n and by SIGHUP, before
# anything changes (the posture stays as it was)
write_conf yes counter
check "tunneld -n refuses the table name 'counter', naming tunneld.posture" sh -c \
  "ip netns exec $TEST-gw '$TUNNELD' -n -f '$T_DIR/gw/tunneld.conf' 2>&1 | grep -F 'tunneld.posture: posture: checking table inet counter: Error: syntax error'"
n_refused=$(grep -c 'tunneld.posture: posture: checking table inet counter' "$T_DIR/gw/tunneld.log")
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP with table = counter is refused" wait_for 10 "reload refused" sh -c \
  "[ \$(grep -c 'tunneld.posture: posture: checking table inet counter' '$T_DIR/gw/tunneld.log') -gt $n_refused ]"
check "... the posture is still enforced with its table" posture_is enforced
check "... and the tables are as they were" [ "$(tables)" = "${TEST}_ren" ]
write_conf no
hup
check "enforce = no: off" wait_for 5 "off again" posture_is off
check "enforce = no: no table is left" [ -z "$(tables)" ]
check "Azure can open a connection to the sensor again" from_azure
check "tunneld stops cleanly" tunneld_stop gw
finish
