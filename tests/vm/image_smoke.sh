#!/usr/bin/env bash
# vm_image: builds (or reuses) the Debian 12 VM image and boots it once:
# the job runs on Debian's own 6.1 cloud kernel under systemd, finds the
# kernel features the XFRM data plane needs, and its results come back on
# the job disk.  Usage: image_smoke.sh SRC
TEST=${TEST_PREFIX:-}vm_image
SRC=$1
. "$SRC/tests/vm/vm_lib.sh"

job=$(vm_job_dir)
cat > "$job/run.sh" <<'JOB'
set -u
uname -r > /job/out/uname
# boot finished (vmjob is Type=exec, so multi-user.target does not wait for it)
timeout 120 systemctl is-system-running --wait > /job/out/state 2>&1 || true
systemd-analyze > /job/out/analyze 2>&1 || true
# what the production data plane needs from this kernel
ip link add vimg-x type xfrm if_id 7 && ip -d link show vimg-x | grep -o 'if_id 0x7' > /job/out/xfrmi
ip link del vimg-x 2>/dev/null
# kernel ESP with AES-256-GCM: an SA the kernel accepts (it loads esp4 and
# instantiates the AEAD), in a throwaway netns
ip netns add vimg
ip netns exec vimg ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 \
  aead 'rfc4106(gcm(aes))' 0x$(printf '%072d' 7) 128 mode tunnel &&
  grep -m1 -o 'rfc4106(gcm(aes))' /proc/crypto > /job/out/gcm
grep -m1 -A4 'name.*rfc4106(gcm(aes))' /proc/crypto | awk '/driver/ {print $3}' > /job/out/gcm_driver
ip netns del vimg
modprobe -n tun && echo tun > /job/out/tun
echo ok > /job/out/done
JOB
t0=$SECONDS
rc=0
vm_boot "$job" 180 || rc=$?
[ "$rc" = 0 ] || fail "the VM job exited $rc"
log "boot + job: $((SECONDS - t0)) s; $(head -1 "$VM_OUT/out/analyze" 2> /dev/null)"

img=$(vm_image)
want=$(awk '/^kernel/ {sub("vmlinuz-", "", $2); print $2}' "$img/info")
got=$(vm_result uname)
log "kernel in the VM: $got (image: $want); rfc4106 driver: $(vm_result gcm_driver)"
[[ $got == 6.1.* ]] && [ "$got" = "$want" ] || fail "uname -r in the VM is '$got', expected the image's 6.1 kernel '$want'"
[ "$(vm_result state)" = running ] || fail "systemd state in the VM: '$(vm_result state)', expected running"
[ "$(vm_result xfrmi)" = "if_id 0x7" ] || fail "no XFRM interface with if_id 7 in the VM"
[ "$(vm_result gcm)" = "rfc4106(gcm(aes))" ] || fail "no rfc4106(gcm(aes)) in the VM's /proc/crypto after modprobe esp4"
[ "$(vm_result done)" = ok ] || fail "the job did not finish"
vm_finish
