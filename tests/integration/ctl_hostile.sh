#!/usr/bin/env bash
# tunnelctl against a broken or hostile control socket (issue 8): fake
# servers (ctl_fake_server.py) that never answer, trickle, never end, flood,
# keep their backlog full or close early. tunnelctl must stop by its own
# deadline with a message naming the socket, cap what it reads, keep its
# memory proportional to the reply, never die of SIGPIPE, and say when it
# could not do its job. Every run is bounded by ctl_run_bounded.py (memory
# and time), so a tunnelctl that fails these checks cannot hang the suite or
# eat the machine's memory.
#
#   ctl_hostile.sh TUNNELCTL REPO_DIR SLOW_SEND_SO
set -u
TUNNELCTL=$(realpath "$1") REPO=$(realpath "$2") SLOW_SEND=$(realpath "$3")
TEST=ctlhost
# shellcheck source=../lib/common.sh
source "$REPO/tests/lib/common.sh"
here=$REPO/tests/integration
golden=$here/ctl_golden
PY=/usr/bin/python3
cd "$T_DIR" || die "no $T_DIR"
[ -f "$SLOW_SEND" ] || die "no fault injector at $SLOW_SEND"

# server NAME MODE [REPLY] -> a fake control socket at $T_DIR/NAME.sock
server() {
  spawn "$T_DIR/$1.server.log" "$PY" "$here/ctl_fake_server.py" "$T_DIR/$1.sock" "$2" \
    "${3:-}" "$T_DIR/$1.received"
}

# run NAME MAX_RSS_MB TIMEOUT_S tunnelctl-args... -> NAME.out, NAME.err,
# NAME.result (ctl_run_bounded.py); RUN_ENV: extra environment (VAR=value...)
RUN_ENV=()
run() {
  local name=$1 mb=$2 secs=$3
  shift 3
  "$PY" "$here/ctl_run_bounded.py" "$mb" "$secs" "$name.result" -- \
    env "${RUN_ENV[@]}" "$TUNNELCTL" "$@" >"$name.out" 2>"$name.err" </dev/null
  log "$name: $(tr '\n' ' ' <"$name.result")"
  log "$name stderr: $(head -c 300 "$name.err")"
}
result() { sed -n "s/^$2=//p" "$1.result"; }
status_is() { [ "$(result "$1" status)" = "$2" ]; }
not_killed() { [ "$(result "$1" killed)" = no ]; }
err_has() { grep -qF -- "$2" "$1.err"; }
# ended NAME "exit N": tunnelctl ended so by itself (not killed by the bounds)
ended() { status_is "$1" "$2" && not_killed "$1"; }
# exits RC CMD... -> true if CMD exits with RC (its stderr in last.err)
exits() {
  local want=$1
  shift
  "$@" >/dev/null 2>last.err
  [ $? = "$want" ]
}
rss_below_mb() { [ "$(result "$1" maxrss_kb)" -lt $(($2 * 1024)) ]; }

# the replies: 6 MB of empty objects (3 bytes each; 1.8-3.7 GB in a
# reader with full-size rows per element or a json-c tree), 6 MB of
# minimal valid rows
"$PY" - <<'EOF'
n = 6 * 1024 * 1024 // 3
open("flood.json", "w").write('{"version":1,"sas":[' + ",".join(["{}"] * n) + "]}")
row = ('{"name":"r","state":"up","unique_id":1,"local_addr":"","remote_addr":"",'
       '"local_id":"","remote_id":"","proposal":"","established":0,"rekeys":0,'
       '"last_down":null,"children":[]}')
n = 6 * 1024 * 1024 // (len(row) + 1)
open("rows.json", "w").write('{"version":1,"sas":[' + ",".join([row] * n) + "]}")
open("rows.count", "w").write(str(n))
EOF

server silent silent
server trickle trickle
server full full
server endless endless
server flood reply "$T_DIR/flood.json"
server rows reply "$T_DIR/rows.json"
server basic reply "$golden/sa-basic.reply"
server close close
server first first
for s in silent trickle full endless flood rows basic close first; do
  wait_for 10 "fake server $s" test -S "$T_DIR/$s.sock" || die "fake server $s did not start"
done

log "1. no reply: the whole exchange has a deadline (-t, default 5 s)"
run silent 512 20 -t 1 -s silent.sock sa
check "silent server, -t 1: exit 1 by tunnelctl's own deadline" \
  ended silent "exit 1"
check "silent server: the message names the socket and what timed out" \
  err_has silent "silent.sock: timed out after 1 s waiting for the reply (0 bytes received)"
run silent_default 512 30 -s silent.sock sa
check "silent server, default deadline: exit 1 after 5 s" \
  ended silent_default "exit 1"
check "default deadline is 5 s" err_has silent_default "timed out after 5 s"
run trickle 512 20 -t 1 -s trickle.sock sa
check "a byte every 50 ms forever: the deadline covers the whole exchange" \
  ended trickle "exit 1"
check "trickle: named as a timeout with the bytes received" \
  grep -qE "trickle.sock: timed out after 1 s waiting for the reply \([1-9][0-9]* bytes received\)" \
  trickle.err
run full 512 20 -t 1 -s full.sock sa
check "full backlog: connect() gives up at the deadline" \
  ended full "exit 1"
check "full backlog: the message says so" err_has full "full.sock: timed out after 1 s connecting"

log "2. a reply that never ends is cut at 64 MiB"
run endless 1024 60 -s endless.sock sa
check "endless reply: exit 1, not killed for memory or time" \
  ended endless "exit 1"
check "endless reply: the message names the limit" \
  err_has endless "endless.sock: reply larger than 64 MiB"

log "3. memory follows the reply, not the element count"
run flood 1024 60 -s flood.sock sa
check "6 MB of {}: refused (exit 1), not killed" \
  ended flood "exit 1"
check "6 MB of {}: the message names the first bad element" \
  err_has flood 'sas[0]: missing key "name"'
check "6 MB of {}: peak RSS below 256 MB (a tree or rows per element: GBs)" rss_below_mb flood 256
run rows 1024 60 -s rows.sock sa
check "6 MB of valid rows: shown (exit 0)" \
  status_is rows "exit 0"
check "6 MB of valid rows: every row printed" \
  test "$(grep -c '^r ' rows.out)" = "$(cat rows.count)"
run rows_json 1024 60 -j -s rows.sock sa
check "6 MB of valid rows, -j: valid JSON with every row" \
  "$PY" -c 'import json,sys; d=json.load(open("rows_json.out")); sys.exit(len(d["sas"]) != int(open("rows.count").read()))'

log "4. the command goes in one write; a closed socket is an error, not SIGPIPE"
# ctl_slow_send.so makes every socket write wait 1 s: the server (which
# closes at once) has closed by then, even on a loaded machine
RUN_ENV=("ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0" "LD_PRELOAD=$SLOW_SEND"
  "CTL_SLOW_SEND_MS=1000")
run close 512 20 -s close.sock sa
check "server closed before the command: exit 1, no SIGPIPE" \
  status_is close "exit 1"
check "the fault injector was loaded" sh -c "! grep -q 'cannot be preloaded' close.err"
check "server closed before the command: said so" \
  err_has close "close.sock: tunneld closed the connection before the command was sent"
run first 512 20 -s first.sock sa
RUN_ENV=()
check "server closes after its first read: exit 1, no SIGPIPE" \
  status_is first "exit 1"
check "the command and its newline arrived in one write" \
  test "$(cat first.received)" = "b'sa\\n'"

log "5. status never hides a failure; options are checked"
run basic 512 20 -s basic.sock sa
check "a normal reply still works" status_is basic "exit 0"
check "output that cannot be written (/dev/full): exit 1" \
  sh -c "'$TUNNELCTL' -s basic.sock sa >/dev/full 2>full_out.err; [ \$? = 1 ]"
check "output that cannot be written: said so" err_has full_out "writing the output"
for t in 0 -1 abc nan inf 1e9 3601 "" 1x; do
  check "-t '$t' refused as a usage error (exit 2)" exits 2 "$TUNNELCTL" -t "$t" -s basic.sock sa
  check "-t '$t': the message says what is expected" \
    err_has last "-t: expected seconds above 0 and at most 3600, got '$t'"
done
long=$(printf 'x%.0s' $(seq 120))
check "socket path over 107 bytes: exit 1" exits 1 "$TUNNELCTL" -s "$T_DIR/$long" sa
check "socket path over 107 bytes: names the limit" err_has last "longer than the limit of 107"
check "no socket: exit 1" exits 1 "$TUNNELCTL" -s "$T_DIR/none.sock" sa
check "no socket: is tunneld running?" \
  err_has last "none.sock: No such file or directory (is tunneld running?)"

finish
