#!/usr/bin/env bash
# vm_routes: the route engine's netns suite (tests/routes/*.sh) on Debian 12's
# 6.1 kernel in the test VM (tests/vm/routes_job.sh runs inside it), with the
# build tree's routes_driver (its RUNPATH's strongSwan prefix on the job disk).
#   vm_routes.sh SRC ROUTES_DRIVER SS_PREFIX "apply switch ..."
TEST=${TEST_PREFIX:-}vm_routes
SRC=$1 DRIVER=$2 SS_PREFIX=$3 TESTS=$4
. "$SRC/tests/vm/vm_lib.sh"

[ -n "$TESTS" ] || die "no routes tests named"
job=$(vm_job_dir)
mkdir -p "$job/bin" "$job/repo/tests"
cp "$DRIVER" "$job/bin/routes_driver"
cp -a "$SS_PREFIX" "$job/prefix"
rm -rf "$job/prefix/include" "$job/prefix/share" "$job/prefix/etc"
cp -a "$SRC/tests/lib" "$SRC/tests/routes" "$job/repo/tests/"
echo "$TESTS" | tr ' ;' '\n\n' | grep -v '^$' > "$job/routes_tests"
echo "SS_PREFIX=$SS_PREFIX" > "$job/env"
cp "$SRC/tests/vm/routes_job.sh" "$job/run.sh"

rc=0
vm_boot "$job" "${VM_LIMIT:-420}" || rc=$?
n=$(wc -l < "$job/routes_tests")
log "routes scripts in the VM (name rc seconds):"
cat "$VM_OUT/out/routes_rc" 2> /dev/null
[ "$rc" = 0 ] || fail "the VM job exited $rc"
[ "$(wc -l < "$VM_OUT/out/routes_rc" 2> /dev/null || echo 0)" = "$n" ] || fail "not all $n scripts ran"
bad=$(awk '$2 != 0 {print $1}' "$VM_OUT/out/routes_rc" 2> /dev/null | tr '\n' ' ')
[ -z "$bad" ] || fail "failed on 6.1: $bad"
for t in $bad; do
  log "routes/$t.sh on 6.1:"
  grep -aE 'FAIL|FATAL|timed out|passed' "$VM_OUT/out/routes_$t.log" 2> /dev/null
done
vm_finish
