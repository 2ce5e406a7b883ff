#!/usr/bin/env bash
# The gateway preflight against the real kernel (sysctls are per network
# namespace) and real nftables, docs/preflight.md:
#  - tunneld -n, start, SIGHUP and tunnelctl preflight name forwarding off
#    (sysctl -w net.ipv4.ip_forward=1) and a strict rp_filter on a path's
#    device (sysctl -w net.ipv4.conf.er0.rp_filter=2), also when strict
#    comes from net.ipv4.conf.all (the kernel uses max(all, dev)); an absent
#    path device is a note, not a problem; fixing the sysctls clears them;
#    tunneld never refuses to start over them.
#  - the MSS clamp's table (preflight-tool: this host has no XFRM
#    interfaces, the rule matches a veth by name just the same): installed,
#    read back equal; a changed or deleted table is named; a TCP SYN from the
#    sensor through the gateway reaches the far host with MSS 1350 (1460
#    without the clamp: the negative control).
#
#   preflight_netns.sh TUNNELD TUNNELCTL REPO_DIR   (PREFLIGHT_TOOL in the environment)
TEST=${TEST:-pre}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"
[ -x "${PREFLIGHT_TOOL:-}" ] || die "PREFLIGHT_TOOL not set"

netns_new gw
netns_new er
netns_new sn
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
veth_pair gw sn0 100.64.1.129/25 sn eth0 100.64.1.130/25
nsx er ip addr add 100.64.2.1/32 dev lo
nsx er ip route add 100.64.1.0/24 via 192.0.2.1
nsx sn ip route add default via 100.64.1.129
nsx gw sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.rp_filter=0 \
  net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.er0.rp_filter=1 || die "sysctls"

echo "connections { }" >"$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm"
sed -i '/dataplane = libipsec/d' "$T_DIR/gw/tunneld.conf"
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
          priority = 10
        }
        bk {
          type = expressroute
          dev = bk0
          gateway4 = 203.0.113.2
          priority = 20
        }
      }
    }
  }
}
CONF

# tunneld -n: warnings naming the fixes, still OK
nsx gw "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/n.out" 2>"$T_DIR/n.err"
check "tunneld -n accepts the settings (exit 0) despite the problems" [ $? = 0 ]
check "tunneld -n says OK" grep -q "OK (data plane xfrm, 1 routed site)" "$T_DIR/n.out"
check "tunneld -n warns: forwarding off, naming sysctl -w net.ipv4.ip_forward=1" \
  grep -q "warning: preflight: net.ipv4.ip_forward = 0: .*fix: sysctl -w net.ipv4.ip_forward=1" "$T_DIR/n.err"
check "tunneld -n warns: rp_filter strict on er0, naming sysctl -w net.ipv4.conf.er0.rp_filter=2" \
  grep -q "warning: preflight: er0 (path er of site azure): reverse-path filtering is strict.*fix: sysctl -w net.ipv4.conf.er0.rp_filter=2" "$T_DIR/n.err"
check "tunneld -n: the absent device is a note without a fix" \
  grep -q "warning: preflight: bk0 (path bk of site azure) does not exist: its rp_filter is not checked" "$T_DIR/n.err"

# start: not refused, logged
daemon_start gw gw -d 1
logged() { grep -q "$1" "$T_DIR/gw/tunneld.log"; }
check "start logs the forwarding problem with its fix" wait_for 10 "log" \
  logged "preflight: problem: net.ipv4.ip_forward = 0.*fix: sysctl -w net.ipv4.ip_forward=1"
check "start logs the rp_filter problem with its fix" \
  logged "preflight: problem: er0 (path er of site azure).*sysctl -w net.ipv4.conf.er0.rp_filter=2"
check "start logs the count" logged "preflight: 2 problems"

pf_json() { tctl gw -j preflight; }
problems() { pf_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["problems"])'; }
problems_are() { [ "$(problems)" = "$1" ]; }
check "tunnelctl preflight: 2 problems" wait_for 10 "2 problems" problems_are 2
valid() {
  pf_json >"$T_DIR/pf.json"; python3 -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' "$T_DIR/pf.json" "$REPO/docs/schema/preflight.schema.json"
}
check "tunnelctl -j preflight matches docs/schema/preflight.schema.json" valid
tctl gw preflight >"$T_DIR/pf.txt"
check "tunnelctl preflight exits 1 with problems" [ $? = 1 ]
check "... names sysctl -w net.ipv4.ip_forward=1" grep -q "fix: sysctl -w net.ipv4.ip_forward=1" "$T_DIR/pf.txt"
check "... names sysctl -w net.ipv4.conf.er0.rp_filter=2" grep -q "fix: sysctl -w net.ipv4.conf.er0.rp_filter=2" "$T_DIR/pf.txt"
check "... shows the absent device as a note" grep -q "^note     rp_filter: bk0 " "$T_DIR/pf.txt"
check "... says what it checked" grep -q "^checked: IPv4 forwarding, rp_filter on er0 bk0; no MSS clamp" "$T_DIR/pf.txt"

# a user outside the socket's group is told who may use it
chmod 711 "$T_DIR" "$T_DIR/gw"
setpriv --reuid=65534 --regid=65534 --clear-groups "$TUNNELCTL" -s "$T_DIR/gw/ctl" preflight 2>"$T_DIR/denied.err"
check "a user outside the group is refused, naming the group" \
  grep -q "cannot connect to .*: Permission denied (members of group root may use it: tunneld.control_group)" "$T_DIR/denied.err"
chmod 700 "$T_DIR" "$T_DIR/gw"

# the fixes, seen when asked (no reload needed)
nsx gw sysctl -qw net.ipv4.ip_forward=1
check "forwarding on: 1 problem left" problems_are 1
check "... and it is er0's rp_filter" sh -c "'$TUNNELCTL' -s '$T_DIR/gw/ctl' -j preflight | grep -q '\"subject\":\"er0\"'"
nsx gw sysctl -qw net.ipv4.conf.er0.rp_filter=2
check "rp_filter loose on er0: no problem" problems_are 0
pf_ok() { tctl gw preflight >/dev/null; }
check "tunnelctl preflight exits 0 without problems" pf_ok
# strict from all: max(all, dev)
nsx gw sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.er0.rp_filter=0
check "all = 1, er0 = 0: strict (max), named" problems_are 1
check "... with the fix on er0" sh -c "'$TUNNELCTL' -s '$T_DIR/gw/ctl' preflight | grep -q 'fix: sysctl -w net.ipv4.conf.er0.rp_filter=2'"
nsx gw sysctl -qw net.ipv4.conf.er0.rp_filter=2
check "all = 1, er0 = 2: loose" problems_are 0

# SIGHUP logs them again
nsx gw sysctl -qw net.ipv4.ip_forward=0
n=$(grep -c "preflight: problem: net.ipv4.ip_forward" "$T_DIR/gw/tunneld.log")
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP logs the problem again" wait_for 15 "reload log" sh -c \
  "[ \$(grep -c 'preflight: problem: net.ipv4.ip_forward' '$T_DIR/gw/tunneld.log') -gt $n ]"
nsx gw sysctl -qw net.ipv4.ip_forward=1
kill -TERM "$TUNNELD_PID_gw"
daemon_exit gw $(scaled 30)
check "tunneld stops cleanly (got $EXIT_STATUS)" [ "$EXIT_STATUS" = 0 ]
check "no sanitizer report" no_sanitizer_report gw

# the MSS clamp: a SYN from the sensor through the gateway, out of er0
nsx gw ip route add 100.64.2.0/24 via 192.0.2.2
# syn_mss -> the MSS the far host's accepted socket uses (the sensor's
# advertised MSS, minus 12 bytes of TCP timestamps)
syn_mss() {
  rm -f "$T_DIR/srv.ready" "$T_DIR/srv.out"
  spawn "$T_DIR/srv.out" ip netns exec "$TEST-er" timeout 10 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("100.64.2.1", 8080)); s.listen(1); open(sys.argv[1], "w").close()
c, _ = s.accept(); print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), flush=True); c.close()' "$T_DIR/srv.ready"
  local srv=$LAST_PID
  wait_for 10 "listener" test -e "$T_DIR/srv.ready" || return 1
  nsx sn timeout 5 python3 -c 'import socket; socket.create_connection(("100.64.2.1", 8080), timeout=3).close()' || return 1
  wait_for 10 "listener done" sh -c "! kill -0 $srv 2>/dev/null || grep -q . '$T_DIR/srv.out'"
  cat "$T_DIR/srv.out"
}
mss=$(syn_mss)
check "without the clamp the SYN carries more than 1350 (got $mss)" [ "${mss:-0}" -gt 1350 ]
table=${TEST}_mss
check "the clamp is installed" nsx gw "$PREFLIGHT_TOOL" apply "$table" "$T_DIR/listing" er0=1350
check "... read back equal: no problem" nsx gw "$PREFLIGHT_TOOL" check "$table" "$T_DIR/listing" er0=1350
check "... the rule is in the table" sh -c "ip netns exec $TEST-gw nft list table inet $table | grep -q 'meta nfproto ipv4 oifname \"er0\" tcp flags syn / syn,rst tcp option maxseg size > 1350 tcp option maxseg size set 1350'"
mss=$(syn_mss)
clamped() { [ "${mss:-0}" -le 1350 ] && [ "${mss:-0}" -ge 1300 ]; }
check "with the clamp the SYN arrives with MSS 1350 (the far socket's MSS: $mss, 12 bytes of timestamps less)" clamped
# changed behind its back: named
nsx gw nft flush chain inet "$table" forward
nsx gw "$PREFLIGHT_TOOL" check "$table" "$T_DIR/listing" er0=1350 >"$T_DIR/chk.out"
check "a flushed chain is named (exit 1)" [ $? = 1 ]
check "... as changed, with the rule that belongs there" grep -q "table inet $table was changed.*maxseg size set 1350.*fix: systemctl reload tunneld" "$T_DIR/chk.out"
nsx gw nft delete table inet "$table"
nsx gw "$PREFLIGHT_TOOL" check "$table" "$T_DIR/listing" er0=1350 >"$T_DIR/chk.out"
check "a deleted table is named (exit 1)" [ $? = 1 ]
check "... as missing" grep -q "table inet $table is missing" "$T_DIR/chk.out"
check "apply again" nsx gw "$PREFLIGHT_TOOL" apply "$table" "$T_DIR/listing" er0=1350
check "remove" nsx gw "$PREFLIGHT_TOOL" remove "$table"
check "... the table is gone" sh -c "! ip netns exec $TEST-gw nft list table inet $table 2>/dev/null"
check "remove again (absent) is not an error" nsx gw "$PREFLIGHT_TOOL" remove "$table"
finish
