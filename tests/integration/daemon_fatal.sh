#!/usr/bin/env bash
# Issue 7 item 12 (and the sizing rule): a tunneld that cannot do what its
# configuration asks refuses to start: exit 1, one line naming the key and
# the error, no pid file or socket left, and tunneld -n says the same where
# it can be known without changing the system.
#  - the route engine does not start (a foreign route in its table): the
#    vici socket charon made by then is removed too (review item 13);
#  - the control socket cannot listen (its directory cannot be made; -n
#    says so too: review item 11);
#  - paths past their limits: a control or vici socket path longer than a
#    unix socket holds, a --pidfile longer than PATH_MAX (refused, never
#    truncated); a long pid file path within the limits works, and no
#    directory with a cut name is made;
#  - charon could open no IKE socket (UDP 500/4500 held by another process).
#
#   daemon_fatal.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dfatal}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
echo "connections { }" > "$T_DIR/swanctl.conf"
conf="$T_DIR/gw/tunneld.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm"
sed -i '/dataplane = libipsec/d' "$conf"
cp "$conf" "$T_DIR/base.conf"
pidf="$T_DIR/gw/tunneld.pid"

# refuses "what" "expected text of the one line" [ARGS...] -> starts tunneld
# with $conf, expects exit 1 and exactly one "not starting" line with the text
refuses() {
  local what=$1 msg=$2; shift 2
  rm -f "$T_DIR/gw/tunneld.log"
  daemon_spawn gw gw -d 1 "$@"
  daemon_exit gw $(scaled 30)
  [ "$EXIT_STATUS" != running ] || { kill -TERM "$TUNNELD_PID_gw"; daemon_exit gw $(scaled 30); }
  check "$what: tunneld refuses to start (exit 1, got $EXIT_STATUS)" [ "$EXIT_STATUS" = 1 ]
  check "$what: one line says why: $msg" \
    sh -c "[ \$(cat '$T_DIR/gw/stderr.log' '$T_DIR/gw/tunneld.log' 2>/dev/null | grep -c 'not starting') -ge 1 ] &&
           grep -ho 'not starting: .*' '$T_DIR/gw/stderr.log' '$T_DIR/gw/tunneld.log' 2>/dev/null | sort -u | wc -l | grep -qx 1 &&
           grep -qF -- '$msg' '$T_DIR/gw/stderr.log' '$T_DIR/gw/tunneld.log' 2>/dev/null"
  check "$what: no pid file, control socket or vici socket is left" \
    sh -c "[ ! -e '$pidf' ] && [ ! -S '$T_DIR/gw/ctl' ] && [ ! -e '$T_DIR/gw/vici' ]"
  check "$what: no sanitizer report" no_sanitizer_report gw
}
# n_refuses "what" "expected text" -> tunneld -n exits 1 with the text
n_refuses() {
  nsx gw "$TUNNELD" -n -f "$conf" > "$T_DIR/n.txt" 2>&1
  local rc=$?
  check "tunneld -n refuses $1 too (exit 1, got $rc)" [ $rc = 1 ]
  check "tunneld -n names it: $2" grep -qF -- "$2" "$T_DIR/n.txt"
}

# the route engine cannot start: a route of someone else in its table
cat >> "$conf" <<CONF
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
nsx gw ip route add 100.64.9.0/24 via 192.0.2.2 table 1160
refuses "a foreign route in table 1160" "not starting: "
grep -h "not starting" "$T_DIR/gw/stderr.log" "$T_DIR/gw/tunneld.log" 2>/dev/null | head -2
check "the line names the section and the route engine's reason (table 1160)" \
  grep -q "not starting: .*tunneld.conf: tunneld.routes.table: table 1160 is already used by something else" "$T_DIR/gw/stderr.log" "$T_DIR/gw/tunneld.log"
check "the foreign route is untouched" sh -c "ip -n $TEST-gw route show table 1160 | grep -q '^100.64.9.0/24 via 192.0.2.2'"
check "no rule sends traffic to a table tunneld does not manage" sh -c "! ip -n $TEST-gw rule | grep -q 'lookup 1160'"
nsx gw ip route del 100.64.9.0/24 via 192.0.2.2 table 1160

# the control socket cannot listen: its directory cannot be made
cp "$T_DIR/base.conf" "$conf"
echo "a file" > "$T_DIR/gw/notadir"
echo "tunneld { control_socket = unix://$T_DIR/gw/notadir/ctl }" >> "$conf"
refuses "a control socket under a regular file" "tunneld.control_socket: $T_DIR/gw/notadir/ctl: Not a directory"
n_refuses "a control socket under a regular file" "tunneld.control_socket: $T_DIR/gw/notadir/ctl: Not a directory"
# a directory that cannot be made (its parent is read-only)
cp "$T_DIR/base.conf" "$conf"
mkdir -p "$T_DIR/ro"
# unmounted on exit, even on failure, before the test's files are removed
trap 'rc=$?; umount -l "$T_DIR/ro" 2>/dev/null; (exit $rc); cleanup_all' EXIT
mount -t tmpfs -o ro,size=64k none "$T_DIR/ro" || die "cannot mount a read-only tmpfs"
echo "tunneld { control_socket = unix://$T_DIR/ro/sub/ctl }" >> "$conf"
refuses "a control socket whose directory cannot be made" "tunneld.control_socket: cannot create directory $T_DIR/ro/sub: Read-only file system"
n_refuses "a control socket whose directory cannot be made" "tunneld.control_socket: cannot create directory $T_DIR/ro/sub: Read-only file system"
umount "$T_DIR/ro"

# a control socket path longer than a unix socket holds (108 bytes)
long=$(printf 'c%.0s' $(seq 120))
cp "$T_DIR/base.conf" "$conf"
echo "tunneld { control_socket = unix://$T_DIR/$long }" >> "$conf"
len=$(printf '%s' "$T_DIR/$long" | wc -c)
refuses "a control socket path of $len bytes" "tunneld.control_socket: the socket path is $len bytes long: a unix socket path holds at most 107"
n_refuses "the long control socket path" "tunneld.control_socket: the socket path is $len bytes long"
check "no file with a cut name is made" sh -c "[ -z \"\$(ls '$T_DIR' | grep '^cccc')\" ]"

cp "$T_DIR/base.conf" "$conf"
sed -i "s|socket = unix://$T_DIR/gw/vici|socket = unix://$T_DIR/$long|" "$conf"
refuses "a vici socket path of $len bytes" "tunneld.plugins.vici.socket: the socket path is $len bytes long"

# a --pidfile longer than PATH_MAX is refused, naming the option
cp "$T_DIR/base.conf" "$conf"
huge="$T_DIR/$(printf 'p%.0s' $(seq 4200))"
refuses "a --pidfile of 4200+ bytes" "--pidfile: the path is $(printf '%s' "$huge" | wc -c) bytes long: at most 4095 are allowed" --pidfile "$huge"

# a long pid file path in directories that do not exist yet: made, not cut
deep="$T_DIR/$(printf 'd%.0s' $(seq 200))/$(printf 'e%.0s' $(seq 200))/tunneld.pid"
daemon_spawn gw gw -d 1 --pidfile "$deep"
check "a pid file path of $(printf '%s' "$deep" | wc -c) bytes: tunneld starts and writes it" \
  wait_for $(scaled 30) "pid file" sh -c "[ \"\$(cat '$deep' 2>/dev/null)\" = $TUNNELD_PID_gw ]"
check "no directory with a cut name is made" sh -c "[ \$(ls -d '$T_DIR'/ddd* | wc -l) = 1 ] && [ \$(ls '$T_DIR'/ddd*/ | wc -l) = 1 ]"
check "tunneld stops cleanly" tunneld_stop gw
check "and removes that pid file" [ ! -e "$deep" ]

# another IKE daemon holds UDP 500 and 4500 (both families): charon's
# socket plugin opens nothing but still counts as loaded; tunneld refuses
cp "$T_DIR/base.conf" "$conf"
spawn "$T_DIR/holder.log" ip netns exec "$TEST-gw" python3 -c '
import socket, sys, time
s = []
for fam, host in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
    for port in (500, 4500):
        k = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            k.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        k.bind((host, port))
        s.append(k)
print("held", flush=True)
time.sleep(600)'
holder=$LAST_PID
wait_for 10 "UDP 500/4500 held" grep -q held "$T_DIR/holder.log" || die "the holder did not bind: $(cat "$T_DIR/holder.log")"
refuses "UDP 500/4500 held by another process" \
  "tunneld.port: charon could not open an IKE socket on UDP 500/4500: another IKE daemon holds the ports"
kill "$holder"
wait "$holder" 2> /dev/null
daemon_start gw gw -d 1
check "the ports free again: tunneld starts" alive "$TUNNELD_PID_gw"
check "tunneld stops cleanly" tunneld_stop gw
finish
