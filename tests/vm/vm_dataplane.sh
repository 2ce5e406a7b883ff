#!/usr/bin/env bash
# vm_dataplane: the production XFRM data plane end to end on Debian 12's 6.1
# kernel in the test VM (tests/vm/dataplane_job.sh runs inside it). The build
# tree's tunneld and tunnelctl run unchanged: their strongSwan prefix goes on
# the job disk and is linked in the VM at the path their RUNPATH names.
#   vm_dataplane.sh SRC TUNNELD TUNNELCTL SS_PREFIX
TEST=${TEST_PREFIX:-}vm_dataplane
SRC=$1 TUNNELD=$2 TUNNELCTL=$3 SS_PREFIX=$4
. "$SRC/tests/vm/vm_lib.sh"

readelf -d "$TUNNELD" | grep -q "RUNPATH.*\[$SS_PREFIX/lib/ipsec" ||
  die "$TUNNELD's RUNPATH does not name $SS_PREFIX/lib/ipsec: $(readelf -d "$TUNNELD" | grep RUNPATH)"
job=$(vm_job_dir)
mkdir -p "$job/bin" "$job/repo/tests/integration" "$job/repo/tests/health" "$job/repo/tests/vm" "$job/repo/tests/preflight" "$job/repo/conf"
cp "$TUNNELD" "$TUNNELCTL" "$job/bin/"
cp -a "$SS_PREFIX" "$job/prefix"
rm -rf "$job/prefix/include" "$job/prefix/share"
cp -a "$SRC/tests/lib" "$job/repo/tests/lib"
cp "$SRC/tests/integration/tunneld_env.sh" "$SRC/tests/integration/daemon_lib.sh" "$job/repo/tests/integration/"
cp "$SRC/tests/preflight/preflight_xfrm.sh" "$job/repo/tests/preflight/"
cp "$SRC/tests/health/health_lib.sh" "$job/repo/tests/health/"
cp "$SRC"/tests/vm/*.sh "$job/repo/tests/vm/"
cp -a "$SRC/conf/presets" "$job/repo/conf/presets"
cp "$SRC/tests/vm/dataplane_job.sh" "$job/run.sh"
{
  echo "SS_PREFIX=$SS_PREFIX"
  echo "MEASURE=${VM_MEASURE:-1}"
} > "$job/env"

rc=0
vm_boot "$job" "${VM_LIMIT:-420}" || rc=$?
grep -E '^\[|FAIL|FATAL|passed' "$VM_OUT/out/log" 2> /dev/null | grep -vE '^\[[^]]*\] ok:' | tail -40
grep -E 'ok:|FAIL' "$VM_OUT/out/log" 2> /dev/null
[ -f "$VM_OUT/out/measure.txt" ] && { log "measure:"; cat "$VM_OUT/out/measure.txt"; }
if [ -n "${VM_KEEP:-}" ]; then
  mkdir -p "$VM_KEEP" && cp -a "$VM_OUT/." "$VM_KEEP/"
fi
[ "$rc" = 0 ] || fail "the VM job exited $rc"
grep -q "^vdp: [0-9]* passed, 0 failed" "$VM_OUT/out/log" 2> /dev/null || fail "the job's summary line is missing or counts failures"
# tests/preflight/preflight_xfrm.sh (exits 77 on this host's kernel) ran in the VM
log "preflight_xfrm in the VM: $(grep -E '^vpxf: [0-9]+ passed' "$VM_OUT/out/preflight_xfrm.log" 2> /dev/null || echo 'no summary')"
grep -E 'FAIL|FATAL|SKIP' "$VM_OUT/out/preflight_xfrm.log" 2> /dev/null
grep -q "^vpxf: [0-9]* passed, 0 failed" "$VM_OUT/out/preflight_xfrm.log" 2> /dev/null ||
  fail "preflight_xfrm.sh in the VM: its summary line is missing or counts failures"
vm_finish
