# Helpers of the daemon_* tests (tunneld as a process: arguments, exit
# status, signals). Source after common.sh and tunneld_env.sh.

# alive PID -> true while PID runs (a zombie, dead but not yet reaped, does not)
alive() { our_child "$1"; }

# daemon_spawn NAME NETNS ARGS... -> starts tunneld with $T_DIR/NAME/tunneld.conf
# in netns "$TEST-NETNS" with extra arguments; does not wait. Sets
# TUNNELD_PID_NAME (the pid is tunneld's own: ip netns exec execs it).
daemon_spawn() {
  local name=$1 ns=$2 dir="$T_DIR/$1"; shift 2
  spawn "$dir/stderr.log" env ASAN_OPTIONS="log_path=$dir/asan:detect_leaks=1:check_printf=0" \
    LSAN_OPTIONS="suppressions=$REPO/tests/lib/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="log_path=$dir/ubsan:print_stacktrace=1:halt_on_error=1" \
    ip netns exec "$TEST-$ns" "$TUNNELD" -f "$dir/tunneld.conf" "$@"
  eval "TUNNELD_PID_$name=$LAST_PID"
}

# daemon_start NAME NETNS ARGS... -> daemon_spawn, then waits for the control socket
daemon_start() {
  local name=$1 dir="$T_DIR/$1" pid
  rm -f "$dir/ctl" "$dir/vici"
  daemon_spawn "$@"
  eval "pid=\$TUNNELD_PID_$name"
  wait_for 60 "tunneld $name control socket" sh -c "test -S '$dir/ctl' || [ \"\$(awk '{print \$3}' /proc/$pid/stat 2>/dev/null)\" = Z ] || ! kill -0 $pid" || true
  test -S "$dir/ctl" && alive "$pid" || {
    tail -20 "$dir/stderr.log" >&2; die "tunneld $name did not start"; }
}

# daemon_exit NAME TIMEOUT_S -> waits for tunneld NAME to exit and sets
# EXIT_STATUS as the shell reports it (128+N: killed by signal N), "running"
# if it did not exit in time. Not in a subshell: wait needs this shell.
daemon_exit() {
  local name=$1 timeout=$2 pid
  eval "pid=\$TUNNELD_PID_$name"
  EXIT_STATUS=running
  wait_for "$timeout" "tunneld $name exits" sh -c "[ \"\$(awk '{print \$3}' /proc/$pid/stat 2>/dev/null)\" = Z ] || ! kill -0 $pid 2>/dev/null" || return 0
  wait "$pid"
  EXIT_STATUS=$?
}

# no_sanitizer_report NAME -> true unless ASan/UBSan wrote a report for NAME
no_sanitizer_report() {
  if compgen -G "$T_DIR/$1/asan*" >/dev/null || compgen -G "$T_DIR/$1/ubsan*" >/dev/null; then
    cat "$T_DIR/$1"/asan* "$T_DIR/$1"/ubsan* 2>/dev/null | head -60 >&2
    return 1
  fi
}

# scaled SECONDS -> SECONDS times TEST_TIME_SCALE (the sanitizer build is slower)
scaled() { echo $(($1 * ${TEST_TIME_SCALE:-1})); }
