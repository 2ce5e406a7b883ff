#!/usr/bin/env bash
# Issue 11, part 2: tunneld under a Type=notify unit, and the unit itself.
#
# The unit (debian/tunneld.service): systemd-analyze verify finds nothing in
# it (run on a copy whose commands name the built tunneld: this host has no
# /usr/sbin/tunneld), its offline security exposure is at most UNIT_MAX_EXPOSURE
# (measured 2.2, docs/systemd.md), and the lines the design rests on are there.
#
# tunneld runs as the unit runs it (setpriv: the unit's bounding set, the
# control socket's group as a supplementary group): refused without the
# group (no CAP_CHOWN), CapEff exactly the three capabilities with it.
#
# The daemon, with NOTIFY_SOCKET pointing at notify_listen.py (a service
# manager's notify socket, recording each message's sender pid): tunneld -n
# sends nothing; READY=1 comes from tunneld's own pid only once the control
# socket answers and the connections are loaded (checked while tunneld's
# notify sender is held inside its send of READY=1: notify_listen.py --hold); the STATUS line changes without a reload when the tunnel to
# a stock charon peer comes up ("SAs 1/1 up"); SIGHUP gives RELOADING=1 (with
# a MONOTONIC_USEC near the listener's clock) then READY=1 with "reloaded";
# a settings file tunneld -n refuses gives READY=1 with "reload refused: "
# and the key; SIGTERM gives STOPPING=1 and exit 0.
#
#   daemon_notify.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dnotify}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

UNIT=$REPO/debian/tunneld.service
UNIT_MAX_EXPOSURE=${UNIT_MAX_EXPOSURE:-22} # tenths: 2.2, as measured (docs/systemd.md)

# --- the unit file ---
command -v systemd-analyze >/dev/null || die "systemd-analyze missing (scripts/install-deps.sh installs systemd)"
mkdir -p "$T_DIR/unit"
sed "s#/usr/sbin/tunneld#$TUNNELD#g" "$UNIT" > "$T_DIR/unit/tunneld.service"
systemd-analyze verify --man=no "$T_DIR/unit/tunneld.service" > "$T_DIR/verify.txt" 2>&1
vrc=$?
cat "$T_DIR/verify.txt"
check "systemd-analyze verify accepts the unit and says nothing (rc $vrc)" \
  sh -c "[ $vrc = 0 ] && ! [ -s '$T_DIR/verify.txt' ]"
systemd-analyze security --offline=true --threshold="$UNIT_MAX_EXPOSURE" "$UNIT" > "$T_DIR/security.txt" 2>&1
src=$?
score=$(sed -n 's/.*Overall exposure level for tunneld.service: \([0-9.]*\).*/\1/p' "$T_DIR/security.txt")
log "offline security exposure: ${score:-none} (at most $UNIT_MAX_EXPOSURE tenths allowed)"
check "the unit's offline exposure ($score) is at most $UNIT_MAX_EXPOSURE tenths (rc $src)" \
  sh -c "[ $src = 0 ] && [ -n '$score' ]"
unit_has() { grep -qxF "$1" "$UNIT"; }
check "Type=notify with NotifyAccess=main (children cannot change the state)" \
  sh -c "grep -qx 'Type=notify' '$UNIT' && grep -qx 'NotifyAccess=main' '$UNIT'"
check "SupplementaryGroups=tunneld and no Group= (the group must not get charon's vici socket)" \
  sh -c "grep -qx 'SupplementaryGroups=tunneld' '$UNIT' && ! grep -q '^Group=' '$UNIT'"
check "the capability bounding set is NET_ADMIN, NET_RAW, NET_BIND_SERVICE only" \
  unit_has "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE"
rundir=$(sed -n 's/^RuntimeDirectory=//p' "$UNIT")
check "the sample's pid file and control socket are in the unit's RuntimeDirectory (/run/$rundir)" \
  sh -c "grep -qE '^ *pidfile = /run/$rundir/[^/]+$' '$REPO/conf/tunneld.conf' &&
         grep -qE '^ *control_socket = unix:///run/$rundir/[^/]+$' '$REPO/conf/tunneld.conf'"

# --- the daemon under a notify socket ---
# nlog CMD... -> reads the listener's log (see notify_listen.py):
#   seq          one letter per message: R READY, L RELOADING, S STOPPING, s STATUS only
#   count F      messages with field F
#   last F K     key K of the last message with field F ("pid", "ctl", "mono_usec" or a field)
#   pids F       the distinct sender pids of messages with field F
nlog() {
  python3 - "$T_DIR/notify.log" "$@" <<'PY'
import json, sys
recs = []
for line in open(sys.argv[1]):
    try:
        recs.append(json.loads(line))
    except ValueError:
        pass  # the last line, while the listener writes it
cmd, args = sys.argv[2], sys.argv[3:]
if cmd == "seq":
    out = ""
    for r in recs:
        f = r["fields"]
        out += "R" if "READY" in f else "L" if "RELOADING" in f else "S" if "STOPPING" in f \
            else "s" if "STATUS" in f else "?"
    print(out)
elif cmd == "count":
    print(sum(1 for r in recs if args[0] in r["fields"]))
elif cmd == "last":
    sel = [r for r in recs if args[0] in r["fields"]]
    if not sel:
        sys.exit(1)
    r = sel[-1]
    print(r[args[1]] if args[1] in r else r["fields"].get(args[1], ""))
elif cmd == "pids":
    print(" ".join(sorted({str(r["pid"]) for r in recs if args[0] in r["fields"]})))
PY
}
n_at_least() { [ "$(nlog count "$1")" -ge "$2" ]; }
status_has() { nlog last STATUS STATUS | grep -qF -- "$1"; }
# seq_is REGEX -> the sequence of messages matches (bash regex)
seq_is() { [[ $(nlog seq) =~ $1 ]]; }
# ready_status_is GLOB -> the STATUS of the last READY=1 matches (bash pattern)
ready_status_is() { local st; st=$(nlog last READY STATUS) && [[ $st == $1 ]]; }
# within A B MAX -> 0 <= B - A < MAX
within() { [ -n "$1" ] && [ -n "$2" ] && [ $(($2 - $1)) -ge 0 ] && [ $(($2 - $1)) -lt "$3" ]; }

azure_netns gw az
PSK=0sc2Vuc29ycy10by1henVyZS10ZXN0LXNlY3JldA==
azure_gateway_conf "$T_DIR/peer-swanctl.conf" "$PSK"
azure_site_conf "$T_DIR/swanctl.conf" "$PSK"
charon_peer_start az "$T_DIR/peer-swanctl.conf"
# the control socket's group, as the package's sample has it (group
# tunneld there; nogroup exists everywhere)
tunneld_write_conf gw "$T_DIR/swanctl.conf" "control_group = nogroup" "control_mode = 0660"

# tunneld as the unit runs it: root with only the unit's bounding set
# (CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE: no CAP_CHOWN) and, with
# UNIT_GROUPS set, the control socket's group as a supplementary group
# (SupplementaryGroups=). Exec all the way: the pid is tunneld's.
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
cat > "$T_DIR/tunneld-unit" <<SH
#!/bin/bash
if [ -n "\${UNIT_GROUPS:-}" ]; then groups=(--groups "\$UNIT_GROUPS"); else groups=(--clear-groups); fi
exec setpriv --bounding-set=-all,$unit_caps --inh-caps=-all "\${groups[@]}" "$TUNNELD" "\$@"
SH
chmod 755 "$T_DIR/tunneld-unit"
REAL_TUNNELD=$TUNNELD
TUNNELD=$T_DIR/tunneld-unit

: > "$T_DIR/notify.log"
spawn "$T_DIR/listener-n.log" python3 "$REPO/tests/systemd/notify_listen.py" \
  "$T_DIR/notify-n.sock" "$T_DIR/notify.log"
listener_n=$LAST_PID
wait_for 10 "notify socket" test -S "$T_DIR/notify-n.sock" || die "the notify listener did not start"
export NOTIFY_SOCKET=$T_DIR/notify-n.sock

# a gateway that forwards: no preflight problem in the first STATUS
nsx gw sysctl -qw net.ipv4.ip_forward=1

# tunneld -n is a command: it never notifies (a marker datagram after it
# shows that the listener had read everything sent before)
nsx gw "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" > "$T_DIR/check.log" 2>&1
check "tunneld -n accepts the settings" grep -q OK "$T_DIR/check.log"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"X_MARK=1", sys.argv[1])' "$NOTIFY_SOCKET"
wait_for 10 "the marker" n_at_least X_MARK 1
check "tunneld -n sent nothing to NOTIFY_SOCKET" [ "$(nlog seq)" = "?" ]
kill -TERM "$listener_n"
: > "$T_DIR/notify.log"

# the daemon's listener holds the first message in the kernel until SIGUSR1
spawn "$T_DIR/listener.log" python3 "$REPO/tests/systemd/notify_listen.py" \
  "$T_DIR/notify.sock" "$T_DIR/notify.log" --hold
listener=$LAST_PID
wait_for 10 "notify socket filled" test -s "$T_DIR/notify.sock.held" || die "the notify listener did not start"
export NOTIFY_SOCKET=$T_DIR/notify.sock
# main_blocked_in_send PID -> its notify sender thread waits in the kernel
# for room on a full unix datagram socket (the notify socket); the main
# thread never does (notify.h)
main_blocked_in_send() { grep -qx unix_wait_for_peer /proc/$1/task/*/wchan 2>/dev/null; }
# ctl_answers NAME -> a whole `sa` reply on the control socket (bounded)
ctl_answers() { tctl "$1" -j sa | python3 -c 'import json,sys; sys.exit("sas" not in json.load(sys.stdin))'; }

# without the group, CAP_CHOWN is missing: the start is refused (this shows
# that the bounding set holds, and what SupplementaryGroups= is for)
rm -f "$T_DIR/gw/ctl" "$T_DIR/gw/vici"
daemon_spawn gw gw -d 1
daemon_exit gw $(scaled 30)
check "with the unit's capabilities and not in the socket's group, tunneld refuses to start (status $EXIT_STATUS)" \
  [ "$EXIT_STATUS" = 1 ]
grep "not starting" "$T_DIR/gw/stderr.log"
check "  ... because the control socket's chown is not permitted" \
  grep -q "not starting: .*control.*Operation not permitted" "$T_DIR/gw/stderr.log"
check "  ... and it sent nothing to NOTIFY_SOCKET (no fill message taken)" test ! -s "$T_DIR/notify.log"

rm -f "$T_DIR/gw/ctl" "$T_DIR/gw/vici"
export UNIT_GROUPS=65534
daemon_spawn gw gw -d 1
pid=$TUNNELD_PID_gw
check "tunneld sends its first notify message (its sender thread is held in it)" \
  wait_for 60 "tunneld blocked sending to the notify socket" main_blocked_in_send "$pid"
# tunneld is held where it says READY=1: the control socket is
# served by then, and the connections are loaded
check "the control socket answers while READY=1 is being sent" ctl_answers gw
conn_loaded() { sa_ike gw azure state >/dev/null; }
check "the connections are loaded when READY=1 is being sent (tunnelctl sa has azure)" conn_loaded
kill -USR1 "$listener"
check "READY=1 arrives" wait_for 30 "READY=1" n_at_least READY 1
check "READY=1 came from tunneld's own pid ($pid)" [ "$(nlog last READY pid)" = "$pid" ]
check "READY=1 is tunneld's first message" seq_is '^R'
log "tunneld's $(grep -E '^(CapEff|Groups)' /proc/$pid/status | tr '\n\t' '  ')"
check "tunneld runs with exactly the unit's capabilities (CapEff 0x3400: bits 10, 12, 13)" \
  grep -qx "CapEff:.0000000000003400" "/proc/$pid/status"
check "the control socket is root:nogroup 0660" \
  [ "$(stat -c %U:%G:%a "$T_DIR/gw/ctl")" = root:nogroup:660 ]
log "STATUS at READY: $(nlog last READY STATUS)"
check "READY=1 carries a STATUS with the sites and SAs" ready_status_is "no sites; SAs [01]/1 up"

# the status follows the tunnel without a reload
check "the STATUS changes to 'SAs 1/1 up' when the tunnel comes up (no reload)" \
  wait_for 40 "STATUS SAs 1/1 up" status_has "SAs 1/1 up"
check "tunnelctl agrees: the child is up" child_is gw azure sensors up
check "no RELOADING so far (the refresh is not a reload)" [ "$(nlog count RELOADING)" = 0 ]

# SIGHUP with valid settings, IPv4 forwarding off: the preflight problem is
# in the STATUS before the reload's outcome
nsx gw sysctl -qw net.ipv4.ip_forward=0
kill -HUP "$pid"
check "SIGHUP: a second READY=1" wait_for 30 "READY=1 after SIGHUP" n_at_least READY 2
log "messages so far: $(nlog seq)"
check "SIGHUP: RELOADING=1 then READY=1" seq_is '^Rs*Ls*Rs*$'
mono=$(nlog last RELOADING MONOTONIC_USEC) arrived=$(nlog last RELOADING mono_usec)
check "RELOADING=1 carries MONOTONIC_USEC ($mono) within 5 s before its arrival ($arrived)" \
  within "$mono" "$arrived" $((5000000 * ${TEST_TIME_SCALE:-1}))
log "STATUS after the reload: $(nlog last READY STATUS)"
check "the STATUS says reloaded" ready_status_is "*; reloaded"
check "... after the preflight's problem (forwarding off)" ready_status_is "*; preflight: 1 problem; reloaded"
nsx gw sysctl -qw net.ipv4.ip_forward=1

# SIGHUP with settings tunneld -n refuses
sed -i 's/^  dataplane = .*/  dataplane = bogus/' "$T_DIR/gw/tunneld.conf"
kill -HUP "$pid"
check "refused SIGHUP: a third READY=1" wait_for 30 "READY=1 after the refused SIGHUP" n_at_least READY 3
log "STATUS after the refused reload: $(nlog last READY STATUS)"
check "the STATUS says the reload was refused and why (tunneld.dataplane)" \
  ready_status_is "*; reload refused: *tunneld.dataplane*"
check "tunnelctl sa answers after the refused reload" tctl gw sa
check "every READY and RELOADING came from tunneld's pid" \
  [ "$(nlog pids READY) $(nlog pids RELOADING)" = "$pid $pid" ]

# SIGTERM
kill -TERM "$pid"
daemon_exit gw $(scaled 30)
check "SIGTERM: tunneld exits 0 (status $EXIT_STATUS)" [ "$EXIT_STATUS" = 0 ]
wait_for 5 "STOPPING=1" n_at_least STOPPING 1
log "all messages: $(nlog seq)"
check "SIGTERM: STOPPING=1 last, after the last READY=1" seq_is 'Rs*S$'
check "STOPPING=1 came from tunneld's pid" [ "$(nlog pids STOPPING)" = "$pid" ]
check "no sanitizer report" no_sanitizer_report gw
finish
