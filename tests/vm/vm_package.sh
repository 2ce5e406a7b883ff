#!/usr/bin/env bash
# vm_package: the .deb (scripts/build-deb.sh, fixture "deb") installed
# offline in the test VM under systemd (tests/vm/package_job.sh runs inside).
#   vm_package.sh SRC DEB_DIR
TEST=${TEST_PREFIX:-}vm_package
SRC=$1 DEBDIR=$2
. "$SRC/tests/vm/vm_lib.sh"
deb=$(ls -1t "$DEBDIR"/tunneld_*.deb 2> /dev/null | head -1)
[ -n "$deb" ] || die "no tunneld_*.deb in $DEBDIR (scripts/build-deb.sh: test package_build)"
log "package: $deb ($(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB)"
job=$(vm_job_dir)
cp "$deb" "$job/tunneld.deb"
cp "$SRC/tests/vm/package_job.sh" "$job/run.sh"
cp "$SRC/tests/vm/package_site.sh" "$SRC/tests/vm/package_harden.sh" "$job/"
rc=0
vm_boot "$job" "${VM_LIMIT:-420}" || rc=$?
grep -E 'ok:|FAIL|passed|apt-get install|upgrade: sensor ping|MainPID|without cap' "$VM_OUT/out/log" 2> /dev/null
log "systemd-analyze security in the VM: $(vm_result security_score)"
log "install-to-ready (apt-get install, s): $(vm_result install_s); $(tr '\n' ' ' < "$VM_OUT/out/unit_show.txt" 2> /dev/null)"
log "upgrade to 0.1.0+vm1 (apt-get install, s): $(vm_result upgrade_s); $(tr '\n' ' ' < "$VM_OUT/out/unit_show_upgrade.txt" 2> /dev/null)"
# VM_KEEP_OUT=DIR: a copy of the job's /job/out (log, journal, drop-in results)
[ -n "${VM_KEEP_OUT:-}" ] && mkdir -p "$VM_KEEP_OUT" && cp -a "$VM_OUT/out/." "$VM_KEEP_OUT/"
read -r tx _ lost < <(vm_result upgrade_ping) || true
log "upgrade: the sensor's ping at 10/s across it: ${tx:-?} sent, ${lost:-?} lost"
[ "$rc" = 0 ] || fail "the VM job exited $rc"
grep -q "^vpkg: [0-9]* passed, 0 failed" "$VM_OUT/out/log" 2> /dev/null || fail "the job's summary line is missing or counts failures"
vm_finish
