#!/usr/bin/env bash
# run.sh IMAGEDIR JOBDIR OUT [TIMEOUT]
#
# Boots the cached image (image.sh) under qemu TCG with JOBDIR as a second
# disk (/dev/vdb, mounted on /job in the VM, where vmjob runs /job/run.sh),
# then reads /out back from that disk into OUT without mounting it
# (debugfs rdump). Exit status: the job's rc; 77 only when qemu cannot run
# at all here; 124 when the VM did not power off in time.
# The root disk is opened with snapshot=on: the cached image never changes.
set -euo pipefail
img=$1 job=$2 out=$3 limit=${4:-300}
log() { echo "run.sh: $*" >&2; }

qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
  echo "SKIP: qemu-system-x86_64 is not installed (scripts/install-deps.sh)" >&2
  exit 77
fi
# (never -daemonize -pidfile /dev/null: qemu unlinks its pid file when it
# exits, and that removed the host's /dev/null)
if ! echo q | timeout 20 "$qemu" -accel tcg -machine none -nodefaults -display none \
  -monitor stdio > /dev/null 2>&1; then
  echo "SKIP: qemu cannot start a TCG machine here" >&2
  exit 77
fi
for f in root.img vmlinuz initrd.img ok; do
  [ -f "$img/$f" ] || { log "no $img/$f: run scripts/vm/image.sh"; exit 1; }
done
[ -f "$job/run.sh" ] || { log "no $job/run.sh"; exit 1; }

mkdir -p "$out"
rm -rf "${out:?}"/*
echo "$limit" > "$job/timeout"
jobimg=$out/job.img
# size: the job plus room for results
mb=$(( $(du -sm "$job" | cut -f1) * 2 + 128 ))
mkfs.ext4 -q -F -L job -d "$job" "$jobimg" "${mb}M" > /dev/null

t0=$(date +%s.%N)
"$qemu" -accel tcg -cpu max -m "${TUNNELD_VM_MEM:-1536}" -smp 2 -nodefaults -display none -no-reboot \
  -serial "file:$out/serial.log" -kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
  -append "console=ttyS0 root=/dev/vda rw panic=-1 net.ifnames=0 quiet systemd.show_status=0 ${TUNNELD_VM_APPEND:-}" \
  -drive "file=$img/root.img,if=virtio,format=raw,snapshot=on" \
  -drive "file=$jobimg,if=virtio,format=raw" &
qpid=$!
# the VM powers itself off; the limit here adds boot time and a margin
deadline=$((SECONDS + limit + 120))
while kill -0 "$qpid" 2> /dev/null && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.5
done
rc=0
if kill -0 "$qpid" 2> /dev/null; then
  log "the VM did not power off within $((limit + 120)) s: killing qemu (pid $qpid)"
  kill "$qpid" 2> /dev/null || true
  wait "$qpid" 2> /dev/null || true
  rc=124
else
  wait "$qpid" || log "qemu exited with $?"
fi
t1=$(date +%s.%N)
echo "$t0 $t1" | awk '{printf "%.1f\n", $2 - $1}' > "$out/wall_s"

debugfs -R "rdump /out $out" "$jobimg" > /dev/null 2>&1 || true
rm -f "$jobimg"
if [ "$rc" = 0 ]; then
  if [ -f "$out/out/rc" ]; then
    rc=$(cat "$out/out/rc")
  else
    log "the job left no rc"
    rc=1
  fi
fi
if [ "$rc" != 0 ]; then
  log "job rc $rc; serial log tail:"
  tail -30 "$out/serial.log" >&2 || true
  [ -f "$out/out/log" ] && { log "job log tail:"; tail -40 "$out/out/log" >&2; }
fi
[ "$rc" = 77 ] && rc=1 # a skip is decided here, never by the job
exit "$rc"
