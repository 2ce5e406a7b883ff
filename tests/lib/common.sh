# Shared helpers for tunneld's shell integration tests. Source it; set TEST
# (a short name, <= 8 chars, unique per test) first.
#
# Every netns, link and process a test makes is named after $TEST and removed
# by cleanup_all on exit (trap), even on failure. Processes are killed by the
# pid we started, never by name.

set -u
: "${TEST:?TEST must name the test}"
# TEST_PREFIX (a letter or two) lets two checkouts run the same test at once
TEST="${TEST_PREFIX:-}$TEST"
# it names namespaces, files and a lock: letters, digits, '_' and '-' only
[[ $TEST =~ ^[A-Za-z0-9_-]{1,24}$ ]] || {
  echo "tests: TEST_PREFIX+TEST '$TEST' must be 1-24 letters, digits, '_' or '-'" >&2
  exit 1
}
# One run per test name at a time: a second run would delete the first one's
# namespaces (e.g. TEST exported to ctest -j2 gives every script one name).
# The lock goes with this shell; spawn does not hand it to the daemons.
exec {T_LOCK}>"/run/lock/tunneld-test-$TEST.lock" || { echo "[$TEST] FATAL: cannot open /run/lock/tunneld-test-$TEST.lock" >&2; exit 1; }
flock -n "$T_LOCK" || {
  exec {T_LOCK}>&- # (not to be listed among the holders)
  holders=$(for fd in /proc/[0-9]*/fd/*; do
    [ "$(readlink "$fd" 2>/dev/null)" = "/run/lock/tunneld-test-$TEST.lock" ] && fd=${fd#/proc/} && echo "${fd%%/*}"
  done | sort -u | tr '\n' ' ')
  echo "[$TEST] FATAL: test '$TEST' is already running (an exported TEST, or the same TEST_PREFIX in two checkouts?); processes holding /run/lock/tunneld-test-$TEST.lock: ${holders:-none found}" >&2
  exit 1
}
T_DIR=$(mktemp -d "/tmp/tunneld-test-$TEST.XXXXXX")
T_PIDS=()
T_NETNS=()
T_FAILED=0
T_CHECKS=0
# the test's own stdout, for cleanup messages: a signal can run the exit trap
# while a command's output is redirected (wait_for sends it to /dev/null)
exec {T_STDOUT}>&1

log() { printf '[%s %(%H:%M:%S)T] %s\n' "$TEST" -1 "$*"; }
fail() {
  printf '[%s] FAIL: %s\n' "$TEST" "$*" >&2
  T_FAILED=$((T_FAILED + 1))
}
die() {
  printf '[%s] FATAL: %s\n' "$TEST" "$*" >&2
  exit 1
}
# check "description" command...  -- counts an assertion
check() {
  local what=$1; shift
  T_CHECKS=$((T_CHECKS + 1))
  if "$@"; then log "ok: $what"; else fail "$what"; fi
}

# netns_kill_all NS -> SIGKILL to every process still inside netns NS (one of
# this test's: only processes of an earlier run of the same test, or ones the
# test lost track of, can be there)
netns_kill_all() {
  local p
  for p in $(ip netns pids "$1" 2>/dev/null); do
    log "killing process $p ($(cat /proc/$p/comm 2>/dev/null)) left in netns $1" >&$T_STDOUT
    kill -KILL "$p" 2>/dev/null
  done
}

# netns_new NAME -> creates "$TEST-NAME" (removing a leftover of the same name
# and the processes an earlier, killed run left in it)
netns_new() {
  local ns="$TEST-$1"
  if [ -e "/run/netns/$ns" ]; then
    netns_kill_all "$ns"
    ip netns del "$ns" 2>/dev/null || true
  fi
  ip netns add "$ns" || die "cannot create netns $ns"
  ip -n "$ns" link set lo up
  T_NETNS+=("$ns")
}
# nsx NAME cmd... -> runs in netns "$TEST-NAME"
nsx() { local ns="$TEST-$1"; shift; ip netns exec "$ns" "$@"; }

# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2 (interface names get no prefix: they
# live inside the test's own namespaces)
veth_pair() {
  local n1="$TEST-$1" i1=$2 a1=$3 n2="$TEST-$4" i2=$5 a2=$6
  # made inside the test's namespaces: nothing is ever left in the root one
  ip -n "$n1" link add "$i1" type veth peer name "$i2" netns "$n2" || die "veth $i1/$i2"
  ip -n "$n1" addr add "$a1" dev "$i1" nodad 2>/dev/null || ip -n "$n1" addr add "$a1" dev "$i1"
  ip -n "$n2" addr add "$a2" dev "$i2" nodad 2>/dev/null || ip -n "$n2" addr add "$a2" dev "$i2"
  ip -n "$n1" link set "$i1" up
  ip -n "$n2" link set "$i2" up
}

# spawn LOGFILE cmd... -> background process, pid recorded for cleanup
spawn() {
  local logf=$1; shift
  "$@" >"$logf" 2>&1 {T_STDOUT}>&- {T_LOCK}>&- &
  T_PIDS+=("$!")
  LAST_PID=$!
}

# now_ms -> monotonic enough wall clock in milliseconds
now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((t / 1000)); }
# wait_for TIMEOUT_S "description" cmd... -> polls every 0.1 s for at most
# TIMEOUT_S whole seconds (times TEST_TIME_SCALE, set for the slower sanitizer
# build: a bound on waiting, never a speed assertion)
wait_for() {
  local timeout=$1 what=$2; shift 2
  local deadline=$(($(now_ms) + timeout * 1000 * ${TEST_TIME_SCALE:-1}))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ "$(now_ms)" -lt "$deadline" ] || break
    sleep 0.1
  done
  log "timed out after ${timeout}s waiting for: $what"
  return 1
}

# our_child PID -> true while PID is a live (not zombie) child of this shell:
# a pid we already reaped may have been reused by another process, never
# signal that. (The comm field has no spaces for the programs tests run.)
our_child() {
  local st
  st=$(awk '{print $3, $4}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$st" != "Z $$" ] && [ "${st#* }" = "$$" ]
}

cleanup_all() {
  local rc=$?
  local p live=()
  for p in "${T_PIDS[@]}"; do our_child "$p" && live+=("$p"); done
  # (CONT: a process the test froze with SIGSTOP handles TERM only then)
  for p in "${live[@]}"; do kill -TERM "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null || true; done
  for p in "${live[@]}"; do
    for _ in $(seq 50); do our_child "$p" || break; sleep 0.1; done
    our_child "$p" && kill -KILL "$p" 2>/dev/null
  done
  local ns
  for ns in "${T_NETNS[@]}"; do
    netns_kill_all "$ns"
    ip netns del "$ns" 2>/dev/null || true
    # (ip netns exec's per-namespace /etc files, e.g. a hosts file a test wrote)
    rm -rf "/etc/netns/$ns"
  done
  [ $rc -lt 128 ] || log "interrupted (exit status $rc): processes and namespaces removed" >&$T_STDOUT
  if [ "${KEEP_TEST_DIR:-0}" = 1 ] || [ $rc -ne 0 ] || [ $T_FAILED -ne 0 ]; then
    log "logs kept in $T_DIR" >&$T_STDOUT
  else
    rm -rf "$T_DIR"
  fi
}
trap cleanup_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# finish -> prints the plain summary line and exits non-zero on any failure
finish() {
  if [ "$T_CHECKS" -eq 0 ]; then
    fail "no assertion ran"
  fi
  echo "$TEST: $((T_CHECKS - T_FAILED)) passed, $T_FAILED failed"
  [ "$T_FAILED" -eq 0 ]
}

# Files a test writes may hold secrets (PSKs): only their owner (root) may
# read them, as tunneld requires of every file that holds secrets.
umask 077
