#!/usr/bin/env bash
# A service manager that never reads its notify socket (issue 11's attack
# review): the socket's queue is full before tunneld starts
# (notify_listen.py --hold, never released), so every send to it blocks in
# the kernel. tunneld must go on: its notify sender thread is the one held
# (never the main thread), the control socket answers, SIGHUPs (a storm of
# them) are reloads, and SIGTERM stops it cleanly (exit 0, pid file and
# control socket removed) within a bounded time.
#
#   notify_never_reads.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-nnread}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
echo "connections { }" >"$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"

spawn "$T_DIR/listener.log" python3 "$REPO/tests/systemd/notify_listen.py" \
  "$T_DIR/notify.sock" "$T_DIR/notify.log" --hold
wait_for 10 "notify socket filled" test -s "$T_DIR/notify.sock.held" || die "the notify listener did not start"
export NOTIFY_SOCKET=$T_DIR/notify.sock

daemon_start gw gw -d 1
pid=$TUNNELD_PID_gw
# some_task_in_send PID -> a thread of PID waits for room on a full unix datagram socket
some_task_in_send() { grep -qx unix_wait_for_peer /proc/$1/task/*/wchan 2>/dev/null; }
check "tunneld's send to the full notify socket blocks (READY=1)" \
  wait_for 30 "a thread blocked in the notify send" some_task_in_send "$pid"
check "... in a thread that is not the main thread" \
  sh -c "[ \"\$(cat /proc/$pid/wchan)\" != unix_wait_for_peer ]"
check "the control socket answers" tctl gw sa

logf=$T_DIR/gw/tunneld.log
reloads() { grep -c "SIGHUP: reloading" "$logf"; }
before=$(reloads)
for _ in 1 2 3 4 5; do kill -HUP "$pid"; done
check "a SIGHUP storm is reloaded (at least one reload logged)" \
  wait_for 30 "a reload" sh -c "[ \$(grep -c 'SIGHUP: reloading' '$logf') -gt $before ]"
check "the control socket answers after the storm" tctl gw sa
kill -TERM "$pid"
daemon_exit gw 20
check "SIGTERM stops it cleanly within 20 s (exit $EXIT_STATUS)" [ "$EXIT_STATUS" = 0 ]
check "... its pid file and control socket are removed" \
  sh -c "! [ -e '$T_DIR/gw/tunneld.pid' ] && ! [ -e '$T_DIR/gw/ctl' ]"
check "nothing reached the listener (it never read)" test ! -s "$T_DIR/notify.log"
check "no sanitizer report (ASan build)" no_sanitizer_report gw

finish
