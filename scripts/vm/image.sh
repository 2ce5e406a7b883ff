#!/usr/bin/env bash
# image.sh [DEB] -> prints the directory holding root.img, vmlinuz, initrd.img
#
# Builds (or reuses) the test VM's root filesystem from Debian 12 packages
# only: a debootstrap minbase root, packages.txt installed in a chroot with
# daemons kept from starting, then `mkfs.ext4 -d` (no loop mount).
# Cached under ${TUNNELD_VM_CACHE:-/var/cache/tunneld-vm}/<key>, the key being
# the sha256 of this script, packages.txt, vmjob*, the candidate versions
# apt would install, and DEB's Depends line when a .deb is given (its
# dependencies are then downloaded into the image's apt cache, so that
# `apt-get install ./x.deb` works offline in the VM).
# Built in a temporary directory and renamed, under a lock; the two newest
# keys are kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb=${1:-}
cache=${TUNNELD_VM_CACHE:-/var/cache/tunneld-vm}
suite=bookworm
log() { echo "image.sh: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
command -v debootstrap > /dev/null || die "debootstrap is not installed (scripts/install-deps.sh)"
mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.txt" | grep -v '^$')
[ -z "$deb" ] || [ -f "$deb" ] || die "no such .deb: $deb"

# the key: inputs plus what apt would install today
key=$({
  cat "$here/image.sh" "$here/packages.txt" "$here/vmjob" "$here/vmjob.service"
  LC_ALL=C apt-cache policy "${pkgs[@]}" 2> /dev/null | grep -E '^[^ ]|Candidate'
  [ -z "$deb" ] || dpkg-deb -f "$deb" Depends Pre-Depends Recommends
} | sha256sum | cut -c1-16)
out=$cache/$key
mkdir -p "$cache"
exec 9> "$cache/.lock"
flock -w 1200 9 || die "timed out waiting for $cache/.lock"
if [ -f "$out/ok" ]; then
  echo "$out"
  exit 0
fi

log "building $out (debootstrap $suite, ${#pkgs[@]} packages)"
t0=$(date +%s)
tmp=$(mktemp -d "$cache/.build.XXXXXX")
root=$tmp/root
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2> /dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# the host's mirror, so versions match the host's apt lists
src=/etc/apt/sources.list.d/debian.sources
mirror=http://deb.debian.org/debian
if [ -f "$src" ]; then
  m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$src")
  [ -n "$m" ] && mirror=$m
fi
debootstrap --variant=minbase --include=gpgv "$suite" "$root" "$mirror" > "$tmp/debootstrap.log" 2>&1 ||
  { tail -20 "$tmp/debootstrap.log" >&2; die "debootstrap failed"; }
t1=$(date +%s)

if [ -f "$src" ]; then
  cp "$src" "$root/etc/apt/sources.list.d/debian.sources"
  sed -i -E 's/^Types:.*/Types: deb/' "$root/etc/apt/sources.list.d/debian.sources"
  : > "$root/etc/apt/sources.list"
fi
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
# not /dev: the root has its own device nodes (and a host /dev/null that is
# not a device breaks gpgv in the chroot)
for d in proc sys; do
  mount --bind "/$d" "$root/$d"
  mounted=("$root/$d" "${mounted[@]}")
done
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
{
  # a failed index (apt-get update only warns) would silently give older
  # versions than the key says: retry, then refuse
  # (set -e does not apply inside a group followed by ||: chain with &&)
  ok=0
  for _ in 1 2 3; do
    in_root apt-get update -q --error-on=any && { ok=1; break; }
  done
  [ "$ok" = 1 ] &&
    in_root apt-get install -y -q --no-install-recommends "${pkgs[@]}"
} > "$tmp/apt.log" 2>&1 || { tail -30 "$tmp/apt.log" >&2; die "apt-get in the image root failed"; }
if [ -n "$deb" ]; then
  cp "$deb" "$root/tmp/pkg.deb"
  in_root apt-get install -y -q --download-only /tmp/pkg.deb >> "$tmp/apt.log" 2>&1 ||
    { tail -30 "$tmp/apt.log" >&2; die "apt-get --download-only of the .deb's dependencies failed"; }
  rm -f "$root/tmp/pkg.deb"
fi
t2=$(date +%s)
want=$(LC_ALL=C apt-cache policy linux-image-cloud-amd64 | awk '/Candidate:/ {print $2}')
got=$(in_root dpkg-query -W -f '${Version}' linux-image-cloud-amd64)
[ "$want" = "$got" ] || { in_root apt-cache policy linux-image-cloud-amd64 >&2; grep -iE '^(Err|W:|E:)|security' "$tmp/apt.log" | head >&2; }
[ "$want" = "$got" ] || die "the image has linux-image-cloud-amd64 $got, the host's apt says $want"
for m in "${mounted[@]}"; do umount "$m"; done
mounted=()

# the system: no daemons that fight the tests, the job runner enabled
rm -f "$root/usr/sbin/policy-rc.d"
ln -sf /dev/null "$root/etc/systemd/system/strongswan-starter.service"
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  systemd-timesyncd.service dpkg-db-backup.timer getty@tty1.service serial-getty@ttyS0.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
install -m 0755 "$here/vmjob" "$root/usr/local/sbin/vmjob"
install -m 0644 "$here/vmjob.service" "$root/etc/systemd/system/vmjob.service"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/vmjob.service "$root/etc/systemd/system/multi-user.target.wants/vmjob.service"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$root/etc/fstab"
echo tunneld-vm > "$root/etc/hostname"
echo "127.0.1.1 tunneld-vm" >> "$root/etc/hosts"
: > "$root/etc/machine-id"
passwd -R "$root" -d root > /dev/null

mkdir -p "$tmp/img"
cp -L "$root/vmlinuz" "$tmp/img/vmlinuz"
cp -L "$root/initrd.img" "$tmp/img/initrd.img"
in_root_ver=$(basename "$(readlink -f "$root/vmlinuz")")
rm -rf "$root/var/cache/apt/"*.bin
mkfs.ext4 -q -F -L tunneld-vm -d "$root" "$tmp/img/root.img" 2G >&2
t3=$(date +%s)
{
  echo "kernel $in_root_ver"
  echo "built $(date -u +%FT%TZ) debootstrap $((t1 - t0)) s, packages $((t2 - t1)) s, image $((t3 - t2)) s"
  du -sh --apparent-size "$root" | cut -f1 | sed 's/^/root /'
} > "$tmp/img/info"
touch "$tmp/img/ok"
rm -rf "$out"
mv "$tmp/img" "$out"
log "$(cat "$out/info" | tr '\n' ';')"

# keep the two newest keys
ls -1dt "$cache"/*/ 2> /dev/null | tail -n +3 | while read -r old; do rm -rf "$old"; done
echo "$out"
