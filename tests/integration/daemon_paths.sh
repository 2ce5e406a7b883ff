#!/usr/bin/env bash
# Hostile review items 1, 10, 11, 13: the files tunneld writes, binds and
# removes. tunneld -n and start agree on each refusal (exit 1, one line
# naming the key), and no file that is not tunneld's own is ever changed:
#  - a pid file path that names the connections file, or any other file that
#    is not a pid file (given by tunneld.pidfile or --pidfile): refused, the
#    file unchanged; an empty file or a stale pid file is taken; a file that
#    replaced the pid file while tunneld ran is not removed at stop;
#  - any two of the settings file, the connections file, the pid file, the
#    control socket and the vici socket naming one file (spelled the same,
#    with . and .., or through a symbolic link to a directory): refused;
#  - a pid file on /proc or /sys, a plugin that does not exist, or a listed
#    plugin disabled by plugins.NAME.load = no: refused by -n as at start;
#  - the vici socket is removed at stop.
#
#   daemon_paths.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dpaths}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
D=$T_DIR/gw
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = 198.51.100.2
    children {
      sensors {
        remote_ts = 100.64.2.0/24
        start_action = none
      }
    }
  }
}
CONF
cp "$T_DIR/swanctl.conf" "$T_DIR/swanctl.orig"
conf=$D/tunneld.conf
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cp "$conf" "$T_DIR/base.conf"
pidf=$D/tunneld.pid

# with LINES... -> the base settings plus a tunneld section with these lines
with() {
  cp "$T_DIR/base.conf" "$conf"
  { echo "tunneld {"; local kv; for kv in "$@"; do echo "  $kv"; done; echo "}"; } >> "$conf"
}
# n_refuses "what" "text" [ARGS...] -> tunneld -n exits 1 naming it
n_refuses() {
  local what=$1 msg=$2; shift 2
  nsx gw "$TUNNELD" -n -f "$conf" "$@" > "$T_DIR/n.txt" 2>&1
  local rc=$?
  check "tunneld -n refuses $what (exit 1, got $rc)" [ $rc = 1 ]
  check "tunneld -n names it: $msg" grep -qF -- "$msg" "$T_DIR/n.txt"
}
# refuses "what" "text" [ARGS...] -> start exits 1 with one line naming it
refuses() {
  local what=$1 msg=$2; shift 2
  rm -f "$D/tunneld.log" "$D/ctl" "$D/vici"
  daemon_spawn gw gw -d 1 "$@"
  daemon_exit gw $(scaled 30)
  [ "$EXIT_STATUS" != running ] || { kill -TERM "$TUNNELD_PID_gw"; daemon_exit gw $(scaled 30); }
  check "$what: tunneld refuses to start (exit 1, got $EXIT_STATUS)" [ "$EXIT_STATUS" = 1 ]
  check "$what: the start says the same: $msg" \
    grep -qF -- "not starting: $msg" "$D/stderr.log" "$D/tunneld.log"
  check "$what: no socket is left" sh -c "[ ! -e '$D/ctl' ] && [ ! -e '$D/vici' ]"
}
both_refuse() { n_refuses "$@"; refuses "$@"; }
unchanged() { cmp -s "$T_DIR/swanctl.conf" "$T_DIR/swanctl.orig"; }

# --- item 1: the pid file
with "pidfile = $T_DIR/swanctl.conf"
both_refuse "a pid file that is the connections file" \
  "tunneld.swanctl_conf and tunneld.pidfile name the same file ($T_DIR/swanctl.conf)"
check "the connections file is unchanged" unchanged
printf 'operator notes\nkeep me\n' > "$T_DIR/notes.txt"
cp "$T_DIR/notes.txt" "$T_DIR/notes.orig"
with "pidfile = $T_DIR/notes.txt"
both_refuse "a pid file path naming another file" \
  "tunneld.pidfile: $T_DIR/notes.txt exists and is not a tunneld pid file (23 bytes that are not a process id)"
cp "$T_DIR/base.conf" "$conf"
both_refuse "--pidfile naming another file" \
  "--pidfile: $T_DIR/notes.txt exists and is not a tunneld pid file" --pidfile "$T_DIR/notes.txt"
check "that file is unchanged and still there" cmp -s "$T_DIR/notes.txt" "$T_DIR/notes.orig"
printf '12345\n67\n' > "$pidf"
both_refuse "a pid file with more than a pid" "tunneld.pidfile: $pidf exists and is not a tunneld pid file (9 bytes"
check "it is left as it was" [ "$(cat "$pidf")" = "$(printf '12345\n67')" ]

for stale in "99999" ""; do
  printf '%s\n' "$stale" > "$pidf"
  [ -n "$stale" ] || : > "$pidf"
  tunneld_start gw
  check "a stale pid file ('$stale') is taken over: it holds tunneld's pid" \
    [ "$(cat "$pidf")" = "$TUNNELD_PID_gw" ]
  check "tunneld stops cleanly" tunneld_stop gw
  check "and removes its pid file" [ ! -e "$pidf" ]
done

# a file that took the pid file's path while tunneld ran is not tunneld's
tunneld_start gw
mv "$pidf" "$T_DIR/moved.pid"
echo "someone else's" > "$pidf"
check "tunneld stops cleanly" tunneld_stop gw
check "the file that replaced the pid file is not removed" grep -qx "someone else's" "$pidf"
rm -f "$pidf" "$T_DIR/moved.pid"

# --- item 13: the vici socket is removed at stop (like the control socket)
tunneld_start gw
check "the vici socket exists while tunneld runs" test -S "$D/vici"
check "tunneld stops cleanly" tunneld_stop gw
check "the vici socket is removed at stop" [ ! -e "$D/vici" ]
check "and the control socket" [ ! -e "$D/ctl" ]

# --- item 10: two keys naming one file
with "control_socket = unix://$D/same" "plugins {" "vici {" "socket = unix://$D/same" "}" "}"
both_refuse "the control socket at the vici socket's path" \
  "tunneld.control_socket and tunneld.plugins.vici.socket name the same file ($D/same)"
mkdir -p "$D/sub"
with "pidfile = $D/sub/../ctl"
both_refuse "the pid file at the control socket's path (spelled with ..)" \
  "tunneld.pidfile and tunneld.control_socket name the same file ($D/ctl)"
mkdir -p "$T_DIR/real"
ln -sfn "$T_DIR/real" "$T_DIR/link"
with "pidfile = $T_DIR/link/./x" "plugins {" "vici {" "socket = unix://$T_DIR/real/x" "}" "}"
both_refuse "the pid file at the vici socket's path (through a symbolic link)" \
  "tunneld.pidfile and tunneld.plugins.vici.socket name the same file ($T_DIR/real/x)"
with "swanctl_conf = $conf"
both_refuse "the connections file at the settings file's path" \
  "the settings file (-f) and tunneld.swanctl_conf name the same file ($conf)"
with "control_socket = unix://$conf"
n_refuses "the control socket at the settings file's path" \
  "the settings file (-f) and tunneld.control_socket name the same file ($conf)"

# --- item 11: what start refused and -n accepted
with "pidfile = /proc/nonexist/x.pid"
both_refuse "a pid file under /proc" \
  "tunneld.pidfile: /proc/nonexist/x.pid: its directory is on a proc file system, not a place for tunneld's files"
with "pidfile = /sys/x.pid"
both_refuse "a pid file in /sys" \
  "tunneld.pidfile: /sys/x.pid: its directory is on a sysfs file system, not a place for tunneld's files"
with "load = random nonce openssl pem pkcs1 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici bogusplugin"
both_refuse "a plugin that does not exist" \
  "tunneld.load: no plugin 'bogusplugin': it is not built in and "
with "plugins {" "updown {" "load = no" "}" "}"
both_refuse "a listed plugin disabled by plugins.updown.load = no" \
  "tunneld.load: the plugin 'updown' is listed, but tunneld.plugins.updown.load says not to load it"
check "no pid file is left by any refused start" [ ! -e "$pidf" ]

cp "$T_DIR/base.conf" "$conf"
check "the base settings pass tunneld -n" nsx gw "$TUNNELD" -n -f "$conf"
check "no sanitizer report" no_sanitizer_report gw
finish
