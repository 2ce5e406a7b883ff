#!/usr/bin/env bash
# Hostile review items 5, 2 (daemon side) and 7: what a SIGHUP may change.
#  - item 5: a settings file that tunneld -n refuses (control_mode = 9999)
#    changes nothing at SIGHUP, although it also adds a site prefix and a
#    logger: neither appears (the connections file is reloaded on its own,
#    and the route glue still throws its new peer out of table 1160); the
#    same file made valid applies both;
#  - item 2: a SIGHUP that brings the first routed sites to a tunneld started
#    without any cannot demote charon's own routes (kernel-netlink reads
#    install_routes and routing_table_prio only at start): the routes part is
#    refused naming tunneld.routes.sites and a restart, nothing is routed
#    (no rule, table 1160 empty, charon's rule stays at 220), and the refusal
#    is a problem of `tunnelctl routes` (exit 1) until a reload without
#    sites; after a restart the sites are routed, charon's table behind
#    tunneld's (rule 1161); a routing_table_prio that puts charon's table
#    ahead of tunneld's rule is refused by -n and at start;
#  - item 7: tunneld -n does not block signals (SIGINT and SIGTERM stop a
#    slow check at once), and SIGTERM during a reload's check stops tunneld
#    at once (the check, a child process, is killed).
#
#   daemon_reload.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dreload}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
D=$T_DIR/gw
conf=$D/tunneld.conf
logf=$D/tunneld.log
echo "connections { }" > "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cp "$conf" "$T_DIR/base.conf"

# sites PREFIXES -> a routes section with site west (path er0)
sites() {
  cat <<CONF
tunneld {
  routes {
    sites {
      west {
        prefixes = $1
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
# a second logger, to see whether the loggers were reloaded
second_logger() {
  printf 'tunneld {\n  filelog {\n    second {\n      path = %s/second.log\n      flush_line = yes\n      default = 1\n    }\n  }\n}\n' "$D"
}
routed() { nsx gw ip -4 route show table 1160 | grep -q "^$1 "; }
loads() { grep -c "connections loaded" "$logf"; }
# hup -> SIGHUP, then waits until its connections reload (which ends every reload) is logged
hup() {
  local n
  n=$(loads)
  kill -HUP "$TUNNELD_PID_gw"
  wait_for $(scaled 20) "reload done" sh -c "[ \$(grep -c 'connections loaded' '$logf') -gt $n ]"
}

# (first: the namespace has no routes of tunneld yet)
# --- item 2: sites brought by a reload while charon's routes were not demoted
cp "$T_DIR/base.conf" "$conf"
tunneld_start gw
rule_at() { nsx gw ip -4 rule show | grep -q "^$1:.*lookup $2"; }
check "started without sites: charon's rule for table 220 at priority 220" \
  wait_for $(scaled 10) "charon's rule" rule_at 220 220
{ cat "$T_DIR/base.conf"; sites 100.64.2.0/24; } > "$conf"
check "the file with sites passes tunneld -n (a start would route them)" \
  nsx gw "$TUNNELD" -n -f "$conf"
hup || fail "the reload with sites did not finish"
check "the routes part is refused naming tunneld.routes.sites and a restart" grep -qF \
  "SIGHUP: routes not applied: tunneld.routes.sites: the reload brings routed sites, but tunneld started without any: charon's own routes (its table and rule, which kernel-netlink reads only at start) would stay ahead of tunneld's; restart tunneld to route these sites" "$logf"
check "no rule for tunneld's table" sh -c "! ip -n $TEST-gw rule | grep -q 'lookup 1160'"
check "table 1160 is empty" sh -c "[ -z \"\$(ip -n $TEST-gw route show table 1160 2>/dev/null)\" ]"
timeout 20 "$TUNNELCTL" -s "$D/ctl" routes > "$T_DIR/routes.txt" 2>&1
rc=$?
cat "$T_DIR/routes.txt"
check "tunnelctl routes exits 1 (a problem)" [ $rc = 1 ]
check "and prints it" grep -q "problem: tunneld.routes.sites: .*restart tunneld to route these sites" "$T_DIR/routes.txt"
check "tunnelctl -j routes lists it in problems" sh -c "timeout 20 '$TUNNELCTL' -s '$D/ctl' -j routes |
  python3 -c 'import json,sys; p=json.load(sys.stdin)[\"problems\"]; sys.exit(0 if any(\"restart tunneld\" in x for x in p) else 1)'"
check "the rest of the reload applies (the connections are reloaded)" \
  grep -q "SIGHUP: reloading $conf and connections" "$logf"
cp "$T_DIR/base.conf" "$conf"
hup || fail "the reload without sites did not finish"
check "a reload without sites clears the problem" sh -c "timeout 20 '$TUNNELCTL' -s '$D/ctl' routes >/dev/null"
check "tunneld stops cleanly" tunneld_stop gw

{ cat "$T_DIR/base.conf"; sites 100.64.2.0/24; } > "$conf"
tunneld_start gw
check "restarted with the sites: routed" wait_for $(scaled 10) "route" routed 100.64.2.0/24
check "tunneld's rule at 1160" rule_at 1160 1160
check "charon's table 220 behind it (rule 1161)" wait_for $(scaled 10) "charon's rule" rule_at 1161 220
check "no rule for table 220 ahead of tunneld's" sh -c "! ip -n $TEST-gw -4 rule show | grep -q '^220:'"
check "no problems" sh -c "timeout 20 '$TUNNELCTL' -s '$D/ctl' routes >/dev/null"
check "tunneld stops cleanly" tunneld_stop gw
{ cat "$T_DIR/base.conf"; sites 100.64.2.0/24; echo "tunneld {"; echo "  routing_table_prio = 100"; echo "}"; } > "$conf"
nsx gw "$TUNNELD" -n -f "$conf" > "$T_DIR/n.txt" 2>&1
check "tunneld -n refuses routing_table_prio = 100 with routed sites" \
  grep -q "tunneld.routing_table_prio: 100 puts charon's routing table 220 ahead of tunneld's rule (priority 1160)" "$T_DIR/n.txt"
daemon_spawn gw gw -d 1
daemon_exit gw $(scaled 30)
[ "$EXIT_STATUS" != running ] || { kill -TERM "$TUNNELD_PID_gw"; daemon_exit gw $(scaled 30); }
check "and so does the start (exit 1, got $EXIT_STATUS)" [ "$EXIT_STATUS" = 1 ]


# --- item 5: an invalid settings file changes nothing
{ cat "$T_DIR/base.conf"; sites 100.64.2.0/24; } > "$conf"
tunneld_start gw
check "started: the site is routed" wait_for $(scaled 10) "route" routed 100.64.2.0/24
{ cat "$T_DIR/base.conf"; sites "100.64.2.0/24, 100.64.7.0/24"; second_logger
  echo "tunneld {"; echo "  control_mode = 9999"; echo "}"; } > "$conf"
# the connections file is reloaded on its own: a new peer
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  newpeer {
    remote_addrs = 198.51.100.9
    children {
      c {
        remote_ts = 100.64.9.0/24
        start_action = none
      }
    }
  }
}
CONF
check "tunneld -n refuses the file" sh -c "! ip netns exec $TEST-gw '$TUNNELD' -n -f '$conf' >/dev/null 2>&1"
hup || fail "the reload of the invalid file did not finish"
check "the refusal is logged naming the key, nothing applied" grep -qF \
  "SIGHUP: settings not reloaded, previous ones kept: tunneld.control_mode: expected an octal mode such as 0660, got '9999' (tunneld -n refuses $conf: nothing of it is applied)" "$logf"
check "the prefix the invalid file adds is not routed" sh -c "! ip -n $TEST-gw -4 route show table 1160 | grep -q '^100.64.7.0/24 '"
check "the logger it adds is not started" [ ! -e "$D/second.log" ]
check "the peer of a connection loaded meanwhile is thrown out of table 1160 all the same" \
  wait_for $(scaled 10) "throw route" sh -c "ip -n $TEST-gw -4 route show table 1160 type throw | grep -q '^throw 198.51.100.9 '"
check "tunneld serves" sh -c "timeout 20 '$TUNNELCTL' -s '$D/ctl' sa >/dev/null"
{ cat "$T_DIR/base.conf"; sites "100.64.2.0/24, 100.64.7.0/24"; second_logger; } > "$conf"
hup || fail "the reload of the valid file did not finish"
check "the same file made valid: the prefix is routed" wait_for $(scaled 10) "new prefix" routed 100.64.7.0/24
check "and the logger started" wait_for $(scaled 10) "second log" test -s "$D/second.log"
check "tunneld stops cleanly" tunneld_stop gw


# --- item 7: signals during a slow check
python3 - 15000 > "$T_DIR/pad.conf" <<'PY'
import sys
# many sections: libstrongswan's parser takes seconds over them
print("tunneld {\n  plugins {\n    padding {")
for i in range(int(sys.argv[1])):
    print(f"      s{i:06d} {{\n        k = v\n      }}")
print("    }\n  }\n}")
PY
cat > "$T_DIR/sig_n.py" <<'PY'
import ctypes, os, select, signal, subprocess, sys, time
ns, tunneld, conf, pad, signame, scale = sys.argv[1:7]
libc = ctypes.CDLL("libc.so.6", use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
if fd < 0 or libc.inotify_add_watch(fd, pad.encode(), 0x20) < 0:  # IN_OPEN
    sys.exit("inotify failed")
p = subprocess.Popen(["ip", "netns", "exec", ns, tunneld, "-n", "-f", conf],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if not select.select([fd], [], [], 30 * int(scale))[0]:
    p.kill(); sys.exit("tunneld -n never opened the included file")
os.kill(p.pid, getattr(signal, signame))
t = time.monotonic()
try:
    rc = p.wait(timeout=5 * int(scale))
except subprocess.TimeoutExpired:
    p.kill(); p.wait()
    rc = "still running"
print(f"tunneld -n after {signame}: {rc} within {time.monotonic() - t:.2f} s")
PY
{ cat "$T_DIR/base.conf"; echo "include $T_DIR/pad.conf"; } > "$conf"
for s in SIGINT SIGTERM; do
  python3 "$T_DIR/sig_n.py" "$TEST-gw" "$TUNNELD" "$conf" "$T_DIR/pad.conf" $s "${TEST_TIME_SCALE:-1}" \
    > "$T_DIR/sig_n.txt" 2>&1
  cat "$T_DIR/sig_n.txt"
  n=$(kill -l $s); n=$((${n#SIG}))
  check "$s stops a slow tunneld -n at once (killed by it)" grep -q "^tunneld -n after $s: -$n " "$T_DIR/sig_n.txt"
done

cp "$T_DIR/base.conf" "$conf"
tunneld_start gw
{ cat "$T_DIR/base.conf"; echo "include $T_DIR/pad.conf"; } > "$conf"
kill -HUP "$TUNNELD_PID_gw"
child_of() { for f in /proc/[0-9]*/stat; do awk -v p="$1" '$4 == p {print $1}' "$f" 2>/dev/null; done; }
check "the reload runs its check in a child process" \
  wait_for $(scaled 10) "the check" sh -c "$(declare -f child_of); [ -n \"\$(child_of $TUNNELD_PID_gw)\" ]"
CHECK_PID=$(child_of "$TUNNELD_PID_gw" | head -1)
kill -TERM "$TUNNELD_PID_gw"
daemon_exit gw $(scaled 5)
check "SIGTERM during the check stops tunneld at once (exit 0, got $EXIT_STATUS)" [ "$EXIT_STATUS" = 0 ]
check "the log says the reload was abandoned" \
  grep -q "SIGHUP: SIGTERM arrived while tunneld -n checked $conf: reload abandoned" "$logf"
check "the check is gone too" sh -c "[ -z '$CHECK_PID' ] || ! kill -0 $CHECK_PID 2>/dev/null"
check "no sanitizer report" no_sanitizer_report gw
finish
