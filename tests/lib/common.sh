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
T_DIR=$(mktemp -d "/tmp/tunneld-test-$TEST.XXXXXX")
T_PIDS=()
T_NETNS=()
T_FAILED=0
T_CHECKS=0

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

# netns_new NAME -> creates "$TEST-NAME" (removing a leftover of the same name)
netns_new() {
  local ns="$TEST-$1"
  ip netns del "$ns" 2>/dev/null || true
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
  "$@" >"$logf" 2>&1 &
  T_PIDS+=("$!")
  LAST_PID=$!
}

# wait_for TIMEOUT_S "description" cmd... -> polls every 0.1 s
wait_for() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  while [ $SECONDS -lt $deadline ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
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
  for p in "${live[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${live[@]}"; do
    for _ in $(seq 50); do our_child "$p" || break; sleep 0.1; done
    our_child "$p" && kill -KILL "$p" 2>/dev/null
  done
  local ns
  for ns in "${T_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ "${KEEP_TEST_DIR:-0}" = 1 ] || [ $rc -ne 0 ] || [ $T_FAILED -ne 0 ]; then
    log "logs kept in $T_DIR"
  else
    rm -rf "$T_DIR"
  fi
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

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
