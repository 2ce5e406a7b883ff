#!/usr/bin/env bash
# The gateway preflight and the control socket's settings under a hostile
# operator (issue 11's attack review), against the real kernel in netns:
#  - forwarding: the kernel forwards on any non-zero value (ip_forward = 2:
#    no problem); with ip_forward on, a path's device whose own
#    net.ipv4.conf.DEV.forwarding is 0 drops the sites' replies arriving on
#    it (a sensor's ping through the gateway fails: shown), and tunneld -n
#    names it; the fix it prints, run verbatim, makes the ping pass.
#  - a VLAN-style device name with '.' (er0.100): /proc/sys/.../er0.100 is
#    read, and the printed `sysctl -w net.ipv4.conf.er0/100.KEY=V` fixes,
#    run verbatim, set the right sysctl (forwarding and rp_filter).
#  - refused control settings name the settings file (as ExecStartPre
#    shows them): control_mode = rw, control_group = a missing group.
#  - a control socket in a directory another user can write (mode 0777, or
#    owned by another uid) is refused by tunneld -n and by the start (that
#    user could put their own listener in its place); a sticky 1777
#    directory is accepted.
#
#   preflight_hostile.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-prehost}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
netns_new sn
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
veth_pair gw er0.100 198.51.100.1/24 er eth1 198.51.100.2/24
veth_pair gw sn0 100.64.1.129/25 sn eth0 100.64.1.130/25
nsx er ip route add 100.64.1.0/24 via 192.0.2.1
nsx sn ip route add default via 100.64.1.129
nsx gw sysctl -qw net.ipv4.ip_forward=2 net.ipv4.conf.all.rp_filter=0 \
  net.ipv4.conf.er0.rp_filter=2 net.ipv4.conf.er0/100.rp_filter=0 || die "sysctls"

echo "connections { }" >"$T_DIR/swanctl.conf"
CONF=$T_DIR/gw/tunneld.conf
# conf [extra settings lines...] -> the gateway's settings, two paths
conf() {
  tunneld_write_conf gw "$T_DIR/swanctl.conf" "$@"
  cat >>"$CONF" <<CONF
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
        vl {
          type = expressroute
          dev = er0.100
          gateway4 = 198.51.100.2
          priority = 20
        }
      }
    }
  }
}
CONF
}
conf
dash_n() { nsx gw "$TUNNELD" -n -f "$CONF" >"$T_DIR/n.out" 2>"$T_DIR/n.err"; }
# run_fix PATTERN -> runs the "fix: sysctl -w NAME=V" printed on the warning
# matching PATTERN, verbatim, in the gateway's netns
run_fix() {
  local cmd
  cmd=$(grep "warning: preflight: .*$1" "$T_DIR/n.err" | sed -n 's/.*fix: \(sysctl -w [^ ]*\).*/\1/p' | head -1)
  log "printed fix: ${cmd:-none}"
  [ -n "$cmd" ] && nsx gw $cmd >/dev/null
}
ping_through() { nsx sn ping -c1 -W1 192.0.2.2 >/dev/null; }

# --- forwarding ---
dash_n
check "ip_forward = 2 (the kernel forwards): tunneld -n accepts" [ $? = 0 ]
check "... and names no preflight problem" sh -c "! grep -q 'warning: preflight' '$T_DIR/n.err'"
check "ip_forward = 2: a sensor's ping crosses the gateway" ping_through

nsx gw sysctl -qw net.ipv4.conf.er0.forwarding=0
check "er0.forwarding = 0 with ip_forward on: the ping fails (the problem is real)" sh -c "! ip netns exec $TEST-sn ping -c1 -W1 192.0.2.2 >/dev/null"
dash_n
check "tunneld -n names er0's own forwarding sysctl" \
  grep -q "warning: preflight: er0 (path er of site azure): net.ipv4.conf.er0.forwarding = 0 .*fix: sysctl -w net.ipv4.conf.er0.forwarding=1" "$T_DIR/n.err"
check "the printed fix, run verbatim, applies" run_fix "net.ipv4.conf.er0.forwarding = 0"
check "... and the ping crosses again" wait_for 10 "ping" ping_through
dash_n
check "... and tunneld -n names no problem" sh -c "! grep -q 'warning: preflight' '$T_DIR/n.err'"

# --- a device name with '.' ---
nsx gw sysctl -qw net.ipv4.conf.er0/100.forwarding=0 net.ipv4.conf.er0/100.rp_filter=1
dash_n
check "er0.100: forwarding off named as net.ipv4.conf.er0/100.forwarding" \
  grep -q "warning: preflight: er0.100 (path vl of site azure): .*fix: sysctl -w net.ipv4.conf.er0/100.forwarding=1" "$T_DIR/n.err"
check "er0.100: strict rp_filter read from /proc/sys/net/ipv4/conf/er0.100, fix named with '/'" \
  grep -q "warning: preflight: er0.100 (path vl of site azure): reverse-path filtering is strict.*fix: sysctl -w net.ipv4.conf.er0/100.rp_filter=2" "$T_DIR/n.err"
run_fix "er0.100 (path vl of site azure): net.ipv4"
run_fix "er0.100 (path vl of site azure): reverse-path"
check "the printed fixes set er0.100's own sysctls" \
  sh -c "[ \$(ip netns exec $TEST-gw cat /proc/sys/net/ipv4/conf/er0.100/forwarding) = 1 ] &&
         [ \$(ip netns exec $TEST-gw cat /proc/sys/net/ipv4/conf/er0.100/rp_filter) = 2 ]"
dash_n
check "... and tunneld -n names no problem" sh -c "! grep -q 'warning: preflight' '$T_DIR/n.err'"

# --- refused control settings name the file ---
refused_naming() { # description message settings...
  local what=$1 msg=$2; shift 2
  conf "$@"
  dash_n
  check "$what: tunneld -n refuses" [ $? != 0 ]
  check "... naming $CONF and the key" grep -qF "tunneld: $CONF: $msg" "$T_DIR/n.err"
}
refused_naming "control_mode = rw" "tunneld.control_mode: expected an octal mode" "control_mode = rw"
refused_naming "a group that does not exist" "tunneld.control_group: no group 'nosuchgroup-ph'" \
  "control_group = nosuchgroup-ph"

# --- the control socket's directory ---
mkdir -p "$T_DIR/open" "$T_DIR/sticky" "$T_DIR/theirs"
chmod 0711 "$T_DIR"
chmod 0777 "$T_DIR/open"
chmod 1777 "$T_DIR/sticky"
chown 65534 "$T_DIR/theirs"
chmod 0755 "$T_DIR/theirs"
conf "control_socket = unix://$T_DIR/open/ctl"
dash_n
check "a control socket in a 0777 directory: tunneld -n refuses" [ $? != 0 ]
check "... naming the directory and the fix" \
  grep -qF "the directory $T_DIR/open (owner uid 0, mode 0777) lets another user replace it with their own: run chown root $T_DIR/open and chmod go-w $T_DIR/open" "$T_DIR/n.err"
timeout -k 1 30 ip netns exec "$TEST-gw" "$TUNNELD" -f "$CONF" >"$T_DIR/start.log" 2>&1
rc=$?
check "the start refuses too (exit $rc, no socket made)" \
  sh -c "[ $rc != 0 ] && [ $rc != 124 ] && ! [ -e '$T_DIR/open/ctl' ]"
check "... naming the directory" grep -qF "the directory $T_DIR/open (owner uid 0, mode 0777)" "$T_DIR/start.log"
conf "control_socket = unix://$T_DIR/theirs/ctl"
dash_n
check "a directory owned by uid 65534: tunneld -n refuses" [ $? != 0 ]
check "... naming its owner" grep -qF "the directory $T_DIR/theirs (owner uid 65534, mode 0755)" "$T_DIR/n.err"
conf "control_socket = unix://$T_DIR/sticky/ctl"
dash_n
check "a sticky 1777 directory (as /tmp): tunneld -n accepts" [ $? = 0 ]
# charon's vici socket (root's swanctl sends the secrets there) and the pid
# file: the same rule
conf
sed -i "s|socket = unix://$T_DIR/gw/vici|socket = unix://$T_DIR/open/vici|" "$CONF"
dash_n
check "a vici socket in a 0777 directory: tunneld -n refuses, naming the key and the directory" \
  grep -qF "tunneld.plugins.vici.socket: $T_DIR/open/vici: the directory $T_DIR/open (owner uid 0, mode 0777) lets another user replace it" "$T_DIR/n.err"
timeout -k 1 30 ip netns exec "$TEST-gw" "$TUNNELD" -f "$CONF" >"$T_DIR/start.log" 2>&1
rc=$?
check "the start refuses too (exit $rc, no vici socket made)" \
  sh -c "[ $rc != 0 ] && [ $rc != 124 ] && ! [ -e '$T_DIR/open/vici' ]"
conf
ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$CONF" --pidfile "$T_DIR/theirs/tunneld.pid" >"$T_DIR/n.err" 2>&1
check "a pid file in a directory owned by uid 65534: tunneld -n refuses, naming --pidfile" \
  grep -qF -- "--pidfile: $T_DIR/theirs/tunneld.pid: the directory $T_DIR/theirs (owner uid 65534, mode 0755) lets another user replace it" "$T_DIR/n.err"
chmod 0700 "$T_DIR"

finish
