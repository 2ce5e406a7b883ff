# shellcheck shell=bash
# Sourced by tests/vm/package_job.sh (inside the VM): the unit's hardening
# (debian/tunneld.service, docs/systemd.md) observed under systemd while the
# service carries site vpkg (tests/vm/package_site.sh).
DROPIN=/run/systemd/system/tunneld.service.d

# the capabilities by number (linux/capability.h), for decoding a mask
CAPS=(chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap
  linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock
  ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin
  sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write
  audit_control setfcap mac_override mac_admin syslog wake_alarm block_suspend
  audit_read perfmon bpf checkpoint_restore)
# cap_names HEX -> the names of the bits set, e.g. "cap_net_bind_service cap_net_admin"
cap_names() {
  local m=$((16#$1)) i out=""
  for ((i = 0; i < 64; i++)); do
    ((m >> i & 1)) && out+="cap_${CAPS[i]:-$i} "
  done
  echo "${out% }"
}
cap_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
main_pid() { systemctl show -p MainPID --value tunneld; }

# audit_1326 -> how many seccomp records (audit type 1326) the kernel logged
audit_1326() { dmesg | grep -c 'type=1326'; }

# dropin NAME [LINE...] -> writes (or with no line removes) a runtime drop-in
# and reloads systemd's configuration
dropin() {
  local f=$DROPIN/$1.conf
  shift
  mkdir -p "$DROPIN"
  if [ $# -gt 0 ]; then
    printf '[Service]\n' > "$f"
    printf '%s\n' "$@" >> "$f"
  else
    rm -f "$f"
  fi
  systemctl daemon-reload
}

ready() { active && vs_route; }

harden_caps() {
  local pid eff bnd want=0000000000003400
  pid=$(main_pid)
  eff=$(cap_of "$pid" CapEff) bnd=$(cap_of "$pid" CapBnd)
  grep '^Cap' "/proc/$pid/status" > /job/out/caps.txt
  log "MainPID $pid CapEff $eff ($(cap_names "$eff")), CapBnd $bnd ($(cap_names "$bnd"))"
  check "CapEff of the main process is exactly cap_net_bind_service cap_net_admin cap_net_raw ($eff)" [ "$eff" = $want ]
  check "CapBnd of the main process is exactly the same three ($bnd)" [ "$bnd" = $want ]
  local gid groups
  gid=$(getent group tunneld | cut -d: -f3)
  groups=$(awk '$1 == "Groups:" {$1 = ""; print}' "/proc/$pid/status")
  check "Groups: of the main process is group tunneld's gid $gid only (SupplementaryGroups=; got$groups)" [ "$groups" = " $gid" ]
}

# SystemCallLog: the positive control first (bind(2), used at every start:
# the control socket, charon's IKE sockets), then every call outside the
# unit's allowed set logged across start, reload, a path down and up, stop
harden_syscalls() {
  local a0 a1 nrec
  dropin 50-vpkg-log SystemCallLog=bind
  a0=$(audit_1326)
  systemctl restart tunneld
  check "syscall log (control): the unit is active again with bind(2) logged" wait_for 60 ready
  a1=$(audit_1326)
  dmesg | grep 'type=1326' | tail -3 > /job/out/audit_control.txt
  check "syscall log (control): logging bind(2) gives records ($a0 -> $a1: $(tail -1 /job/out/audit_control.txt | grep -o 'comm="[^"]*".*syscall=[0-9]*'))" [ "$a1" -gt "$a0" ]
  # the filter itself must go: a denied call's EPERM takes precedence over
  # LOG in the kernel, so with it nothing outside the set could be logged
  dropin 50-vpkg-log 'SystemCallFilter=' 'SystemCallLog=~@system-service' 'SystemCallLog=@resources @setuid'
  a0=$(audit_1326)
  systemctl restart tunneld
  check "syscall log: the unit starts without its filter, logging all outside it" wait_for 60 ready
  local l0
  l0=$(loads)
  systemctl reload tunneld
  more_loads_than() { [ "$(loads)" -gt "$1" ]; }
  check "syscall log: reload" wait_for 30 more_loads_than "$l0"
  ip link set vpkger0 down
  check "syscall log: path er down, the site's route withdrawn (100.64.2.1 no longer via vpkger0)" wait_for 30 sh -c '! ip route get 100.64.2.1 2> /dev/null | grep -q " dev vpkger0 "'
  ip link set vpkger0 up
  check "syscall log: path er up, the site routed over it again" wait_for 60 vs_route
  systemctl stop tunneld
  a1=$(audit_1326)
  dmesg | grep 'type=1326' | tail -n +$((a0 + 1)) > /job/out/audit.txt
  nrec=$((a1 - a0))
  check "syscall log: no call outside the unit's filter across start, reload, path down/up, stop ($nrec records$( [ "$nrec" = 0 ] || echo ": $(head -3 /job/out/audit.txt | grep -o 'comm=.*syscall=[0-9]*' | tr '\n' ' ')"))" [ "$nrec" = 0 ]
  dropin 50-vpkg-log
  systemctl start tunneld
  check "syscall log: the unit as packaged is active again, site routed" wait_for 60 ready
}

# one capability taken away (bounding set of the two others; no restarts):
# what the service does without it goes to /job/out/nocap_CAP.txt
harden_nocap() {
  local cap=$1 rest=$2 t
  dropin 60-vpkg-nocap "CapabilityBoundingSet=" "CapabilityBoundingSet=$rest" "Restart=no"
  systemctl reset-failed tunneld 2> /dev/null
  t=$(date '+%Y-%m-%d %H:%M:%S')
  timeout 100 systemctl restart tunneld > /job/out/nocap_$cap.txt 2>&1
  echo "systemctl restart: rc $?" >> /job/out/nocap_$cap.txt
  # (ready or failed, polled)
  settled() { [ "$(systemctl is-active tunneld)" != activating ]; }
  wait_for 60 settled
  # when it runs: the echo probe's verdict after its window could fill (2 s)
  echo_ok() { [ "$(er_echo)" = "True 0.0" ]; }
  active && wait_for 8 echo_ok
  { echo "is-active: $(systemctl is-active tunneld)"
    echo "path er: $(er_path_state)"
    echo "route: $(ip route show table 1160 | grep '^100.64.2.0/24')"
    echo "udp: $(ss -Huan | grep -E ':(500|4500) ' | tr -s ' ' | tr '\n' ';')"
    journalctl -u tunneld --since "$t" --no-pager -o cat | tail -30; } >> /job/out/nocap_$cap.txt
}
# er_path_state -> state, reason, echo of path er (tunnelctl -j paths)
paths_json() { timeout 10 tunnelctl -j paths 2> /dev/null; }
er_py() {
  paths_json | python3 -c "
import json, sys
for s in json.load(sys.stdin)['sites']:
    for p in s['paths']:
        if p['name'] == 'er':
            e = p['echo'] or {}
            print($1)
" 2> /dev/null
}
er_path_state() { er_py "p['state'], repr(p['reason']), 'echo', e.get('valid'), e.get('loss_pct'), e.get('received')"; }
er_echo() { er_py "e.get('valid'), e.get('loss_pct')"; }

# harden_nocap_restore -> the unit as packaged again, site routed
harden_nocap_restore() {
  dropin 60-vpkg-nocap
  systemctl reset-failed tunneld 2> /dev/null
  systemctl restart tunneld
  wait_for 60 ready && wait_for 20 ike_bound
}
# ike_bound -> charon's IKE socket is bound to UDP 500
ike_bound() { ss -Huan | grep -qE ':500 '; }
