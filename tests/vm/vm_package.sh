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
rc=0
vm_boot "$job" "${VM_LIMIT:-300}" || rc=$?
grep -E 'ok:|FAIL|passed|apt-get install' "$VM_OUT/out/log" 2> /dev/null
log "install-to-ready (apt-get install, s): $(vm_result install_s); $(tr '\n' ' ' < "$VM_OUT/out/unit_show.txt" 2> /dev/null)"
log "upgrade to 0.1.0+vm1 (apt-get install, s): $(vm_result upgrade_s); $(tr '\n' ' ' < "$VM_OUT/out/unit_show_upgrade.txt" 2> /dev/null)"
[ "$rc" = 0 ] || fail "the VM job exited $rc"
grep -q "^vpkg: [0-9]* passed, 0 failed" "$VM_OUT/out/log" 2> /dev/null || fail "the job's summary line is missing or counts failures"
vm_finish
