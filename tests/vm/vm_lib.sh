# Host side of the VM tests (tests/vm/*.sh). Source it after setting TEST.
#
# vm_job_dir         -> prints a fresh job directory ($VM_TMP/job) with the
#                       repo's tests/lib in it (/job/lib in the VM)
# vm_boot JOB LIMIT  -> builds or reuses the image (scripts/vm/image.sh),
#                       boots it with JOB as /dev/vdb, leaves the results in
#                       $VM_OUT/out; returns the job's rc (77: qemu cannot run)
# Everything is under one temporary directory removed on exit.
set -u
: "${TEST:?}" "${SRC:?SRC must be the source tree}"
VM_TMP=$(mktemp -d "/tmp/tunneld-$TEST.XXXXXX")
VM_OUT=$VM_TMP/result
trap 'rm -rf "$VM_TMP"' EXIT
VM_FAILED=0

log() { printf '[%s %(%H:%M:%S)T] %s\n' "$TEST" -1 "$*"; }
fail() {
  printf '[%s] FAIL: %s\n' "$TEST" "$*" >&2
  VM_FAILED=$((VM_FAILED + 1))
}
die() {
  printf '[%s] FATAL: %s\n' "$TEST" "$*" >&2
  exit 1
}

vm_job_dir() {
  local j=$VM_TMP/job
  rm -rf "$j"
  mkdir -p "$j"
  cp -a "$SRC/tests/lib" "$j/lib"
  echo "$j"
}

# vm_image -> the image directory (build once, then cached)
vm_image() {
  local d
  d=$(bash "$SRC/scripts/vm/image.sh" "$@") || die "scripts/vm/image.sh failed"
  echo "$d"
}

vm_boot() {
  local job=$1 limit=$2 img rc=0
  # (no image build when qemu is not there at all: run.sh says so, exit 77)
  command -v qemu-system-x86_64 > /dev/null || bash "$SRC/scripts/vm/run.sh" /nonexistent "$job" "$VM_OUT" || exit $?
  img=$(vm_image) || exit 1
  bash "$SRC/scripts/vm/run.sh" "$img" "$job" "$VM_OUT" "$limit" || rc=$?
  [ "$rc" = 77 ] && exit 77
  if [ -f "$VM_OUT/out/boot" ]; then
    log "VM: $(tr '\n' ' ' < "$VM_OUT/out/boot")(uptime s); qemu wall $(cat "$VM_OUT/wall_s") s"
  fi
  return "$rc"
}

# vm_result NAME -> the content of /job/out/NAME ("" when missing)
vm_result() { cat "$VM_OUT/out/$1" 2> /dev/null || true; }

vm_finish() {
  if [ "$VM_FAILED" -gt 0 ]; then
    log "$VM_FAILED check(s) failed"
    [ -f "$VM_OUT/out/log" ] && { log "job log:"; cat "$VM_OUT/out/log"; }
    exit 1
  fi
  log "PASS"
  exit 0
}
