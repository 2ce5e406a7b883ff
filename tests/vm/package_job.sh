#!/usr/bin/env bash
# Runs INSIDE the test VM as /job/run.sh of vm_package: the .deb
# (/job/tunneld.deb) installed offline with apt (the VM has no network: every
# dependency must already be in the image), the unit started by systemd,
# a reload, then tunnelctl for members of group tunneld only.
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
n=0 failed=0
log() { printf '[vpkg %(%H:%M:%S)T] %s\n' -1 "$*"; }
check() {
  local what=$1; shift
  n=$((n + 1))
  if "$@"; then
    log "ok: $what"
  else
    log "FAIL: $what"
    failed=$((failed + 1))
    return 1
  fi
}
# wait_for SECONDS cmd... (polls every 0.2 s)
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@" > /dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.2
  done
}
done_exit() {
  journalctl -u tunneld --no-pager > /job/out/journal.txt 2>&1
  echo "vpkg: $((n - failed)) passed, $failed failed"
  [ "$failed" = 0 ]
  exit
}

t0=$(date +%s.%N)
# (no --no-download: apt 2.6 then refuses a local .deb, "Pathname to install is
# not absolute"; the VM has no network device, so nothing can be downloaded)
apt-get install -y -q /job/tunneld.deb > /job/out/apt.txt 2>&1
rc=$?
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", b - a}' > /job/out/install_s
log "apt-get install: rc $rc in $(cat /job/out/install_s) s"
check "apt-get install ./tunneld.deb offline (rc $rc)" [ "$rc" = 0 ] || { tail -20 /job/out/apt.txt; done_exit; }
check "group tunneld exists" getent group tunneld
check "/etc/tunneld/swanctl.conf is 600 root:root" [ "$(stat -c '%a %U:%G' /etc/tunneld/swanctl.conf)" = "600 root:root" ]
check "the unit is enabled" [ "$(systemctl is-enabled tunneld)" = enabled ]
active() { [ "$(systemctl is-active tunneld)" = active ] && [ -S /run/tunneld/tunneld.ctl ]; }
check "the unit is active and its control socket exists" wait_for 60 active ||
  { systemctl status tunneld --no-pager; journalctl -u tunneld --no-pager | tail -20; done_exit; }
systemctl show tunneld -p ActiveEnterTimestampMonotonic -p InactiveExitTimestampMonotonic -p StatusText -p Type > /job/out/unit_show.txt
check "root: tunnelctl sa answers" timeout 20 tunnelctl sa

# reload: one more connections load in the journal, same main pid, still answering
loads() { journalctl -u tunneld --no-pager -o cat | grep -c 'connections loaded'; }
pid=$(systemctl show -p MainPID --value tunneld)
l0=$(loads)
if systemctl cat tunneld | grep -q '^ExecReload='; then
  systemctl reload tunneld
else
  log "the unit has no ExecReload: SIGHUP to the main process"
  systemctl kill -s HUP --kill-whom=main tunneld
fi
more_loads() { [ "$(loads)" -gt "$l0" ]; }
check "reload: connections loaded once more (journal had $l0)" wait_for 30 more_loads
check "reload: same main pid, still active" sh -c "[ \$(systemctl show -p MainPID --value tunneld) = $pid ] && [ \$(systemctl is-active tunneld) = active ]"

# tunnelctl for the group's members only (control_group = tunneld, 0660)
useradd -M -G tunneld vpkgalice
useradd -M vpkgbob
if ! grep -q 'control_group' /etc/tunneld/tunneld.conf; then
  sed -i 's|^\( *\)control_socket = .*|&\n\1control_group = tunneld\n\1control_mode = 0660|' /etc/tunneld/tunneld.conf
  systemctl restart tunneld
  wait_for 60 active
fi
ls -l /run/tunneld/ > /job/out/run_tunneld.txt
check "alice (group tunneld) may use tunnelctl" timeout 20 runuser -u vpkgalice -- tunnelctl sa
runuser -u vpkgbob -- timeout 20 tunnelctl sa > /job/out/bob.txt 2>&1
bob=$?
check "bob (not in the group) is refused, told why (rc $bob: $(head -1 /job/out/bob.txt))" \
  sh -c "[ $bob != 0 ] && grep -qiE 'permission|denied|group' /job/out/bob.txt"
check "charon's vici socket exists and root can use it" timeout 20 swanctl --stats --uri unix:///run/tunneld/vici
check "alice cannot reach charon's vici socket" sh -c "! timeout 20 runuser -u vpkgalice -- swanctl --stats --uri unix:///run/tunneld/vici > /dev/null 2>&1"
done_exit
