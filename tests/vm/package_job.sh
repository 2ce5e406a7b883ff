#!/usr/bin/env bash
# Runs INSIDE the test VM as /job/run.sh of vm_package: the .deb
# (/job/tunneld.deb) installed offline with apt (the VM has no network: every
# dependency must already be in the image), the unit started by systemd,
# a reload, then tunnelctl for members of group tunneld only; a site carried
# by the service across the upgrade and the remove (package_site.sh), and the
# unit's capabilities and system calls under systemd (package_harden.sh).
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
  type vs_cleanup > /dev/null 2>&1 && vs_cleanup
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
# the installed unit as systemd 252 itself rates it (docs/systemd.md)
systemd-analyze security --no-pager tunneld.service > /job/out/security.txt 2>&1
sed -n 's/^.*Overall exposure level for tunneld.service: //p' /job/out/security.txt > /job/out/security_score
check "systemd-analyze security: the installed unit is OK or better ($(cat /job/out/security_score))" \
  grep -qE '^[0-9.]+ (OK|SAFE)' /job/out/security_score

# reload applies a change: a connection added to swanctl.conf (a conffile, so
# it is also the locally edited conffile the upgrade below must keep) appears
# in charon after `systemctl reload` (which returns at once: polled), with one
# more connections load in the journal and the same main pid
loads() { journalctl -u tunneld --no-pager -o cat | grep -c 'connections loaded'; }
pid=$(systemctl show -p MainPID --value tunneld)
l0=$(loads)
cat >> /etc/tunneld/swanctl.conf << 'CONF'

# vpkg: added by the VM test (a local edit)
connections {
    vpkgreload {
        remote_addrs = 203.0.113.99
        local {
            auth = psk
        }
        remote {
            auth = psk
        }
        children {
            c {
                remote_ts = 100.64.9.0/24
            }
        }
    }
}
CONF
conn_loaded() { timeout 10 swanctl --list-conns --uri unix:///run/tunneld/vici | grep -q '^vpkgreload:'; }
check "before reload: vpkgreload not in charon" sh -c "! timeout 10 swanctl --list-conns --uri unix:///run/tunneld/vici | grep -q '^vpkgreload:'"
check "systemctl reload tunneld (rc)" systemctl reload tunneld
check "reload: the added connection vpkgreload is loaded in charon" wait_for 30 conn_loaded
more_loads() { [ "$(loads)" -gt "$l0" ]; }
check "reload: connections loaded once more (journal had $l0)" wait_for 10 more_loads
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

# a site carried by the installed service (tests/vm/package_site.sh): the
# sensor's traffic to 100.64.2.1 crosses the VM's root namespace over the
# ExpressRoute-like path vpkger0 by tunneld's route in table 1160
. /job/package_site.sh
. /job/package_harden.sh
check "site: netns vpkg-sen and vpkg-er made" vs_setup
check "site: before the site is configured, the sensor's ping finds no route" vs_no_ping
check "site: site vpkg added to /etc/tunneld/tunneld.conf" vs_conf_site
# tunneld.routes.nexthop_compat_mode = 0 (with the site) under the unit's
# ProtectKernelTunables=yes: only its ReadWritePaths= makes that sysctl
# writable; without it (a drop-in that empties it) the start fails, naming it
compat() { [ "$(sysctl -n net.ipv4.nexthop_compat_mode)" = "$1" ]; }
check "compat: net.ipv4.nexthop_compat_mode is the kernel's default 1 before" compat 1
sed -i 's/^    routes {$/&\n        nexthop_compat_mode = 0 # vpkg/' /etc/tunneld/tunneld.conf
dropin 55-vpkg-norw "ReadWritePaths=" "Restart=no"
systemctl reset-failed tunneld 2> /dev/null
t=$(date '+%Y-%m-%d %H:%M:%S')
systemctl restart tunneld > /dev/null 2>&1
settled() { [ "$(systemctl is-active tunneld)" != activating ]; }
wait_for 60 settled
journalctl -u tunneld --since "$t" --no-pager -o cat > /job/out/norw.txt 2>&1
check "compat: without ReadWritePaths= the start fails: cannot write nexthop_compat_mode (read-only)" \
  sh -c '[ "$(systemctl is-active tunneld)" = failed ] &&
    grep -qF "tunneld.routes.nexthop_compat_mode: cannot write /proc/sys/net/ipv4/nexthop_compat_mode: Read-only file system" /job/out/norw.txt' ||
  tail -5 /job/out/norw.txt
check "compat: ... and the sysctl is still 1" compat 1
dropin 55-vpkg-norw
systemctl reset-failed tunneld 2> /dev/null
systemctl restart tunneld
check "site: the unit is active again with site vpkg" wait_for 60 active ||
  { journalctl -u tunneld --no-pager | tail -20; done_exit; }
check "site: 100.64.2.0/24 via vpkger0 in table 1160, protocol 116" wait_for 60 vs_route
check "site: the sensor's ping crosses (sen -> 100.64.2.1 at vpkg-er)" vs_ping 3
check "compat: the unit as packaged wrote net.ipv4.nexthop_compat_mode = 0" compat 0
ip route show table 1160 > /job/out/table1160.txt
ip nexthop show >> /job/out/table1160.txt
ip rule show >> /job/out/table1160.txt

# upgrade: the same package repacked as 0.1.0+vm1 (no packaged conffile
# changed: dpkg keeps the edited swanctl.conf by itself; stdin is /dev/null
# and no --force-conf* is given, so a conffile prompt would fail the install)
rm -rf /root/upg && mkdir -p /root/upg
dpkg-deb -R /job/tunneld.deb /root/upg/root
sed -i 's/^Version: .*/Version: 0.1.0+vm1/' /root/upg/root/DEBIAN/control
dpkg-deb -b /root/upg/root /root/upg/tunneld_0.1.0+vm1_amd64.deb > /job/out/repack.txt 2>&1
check "repacked as 0.1.0+vm1" [ "$(dpkg-deb -f /root/upg/tunneld_0.1.0+vm1_amd64.deb Version)" = 0.1.0+vm1 ]
pid=$(systemctl show -p MainPID --value tunneld)
check "upgrade: before it, the site's route is in table 1160" vs_route
# across it: route/nexthop/rule events and a 10/s sensor ping
check "upgrade: ip monitor (a marker route seen) and the sensor's 10/s ping running" vs_watch_start upgrade
t0=$(date +%s.%N)
apt-get install -y -q /root/upg/tunneld_0.1.0+vm1_amd64.deb < /dev/null > /job/out/apt_upgrade.txt 2>&1
rc=$?
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f\n", b - a}' > /job/out/upgrade_s
log "apt-get install (upgrade to 0.1.0+vm1): rc $rc in $(cat /job/out/upgrade_s) s"
check "upgrade: apt-get install 0.1.0+vm1 (rc $rc)" [ "$rc" = 0 ] || tail -20 /job/out/apt_upgrade.txt
check "upgrade: dpkg has 0.1.0+vm1" [ "$(dpkg-query -W -f '${Version}' tunneld)" = 0.1.0+vm1 ]
new_pid() { p=$(systemctl show -p MainPID --value tunneld); [ "$p" != 0 ] && [ "$p" != "$pid" ] && active; }
check "upgrade: the unit was restarted (MainPID $pid -> new) and is active with its socket" wait_for 60 new_pid
systemctl show tunneld -p ActiveEnterTimestampMonotonic -p InactiveExitTimestampMonotonic > /job/out/unit_show_upgrade.txt
check "upgrade: after it, the site's route is in table 1160" wait_for 30 vs_route
r0=$(vs_replies)
more_replies() { [ "$(vs_replies)" -ge $((r0 + 20)) ]; }
check "upgrade: the sensor's ping is answered after the restart (20 more replies)" wait_for 30 more_replies
vs_watch_stop
echo "$VS_TX $VS_RX $VS_LOST" > /job/out/upgrade_ping
log "upgrade: sensor ping at 10/s across it: $VS_TX sent, $VS_RX answered, $VS_LOST lost"
check "upgrade: the site's routes are never deleted (ip monitor: $VS_DELETED deletions of protocol 116 / table 1160)" [ "$VS_DELETED" = 0 ]
grep -E 'Deleted' "$VS_MON" | head -5
check "upgrade: the edited swanctl.conf is kept" grep -q '^    vpkgreload {' /etc/tunneld/swanctl.conf
check "upgrade: no conffile prompt, no .dpkg-new/.dpkg-dist/.dpkg-old" \
  sh -c "! grep -q 'Configuration file' /job/out/apt_upgrade.txt && [ -z \"\$(find /etc/tunneld -name '*.dpkg-*')\" ]"
check "upgrade: swanctl.conf still 600 root:root" [ "$(stat -c '%a %U:%G' /etc/tunneld/swanctl.conf)" = "600 root:root" ]
# the default configuration has no site (so nothing in table 1160): the
# control socket answers the group's member, and charon has the kept edit
check "upgrade: alice's tunnelctl sa answers after the restart" timeout 20 runuser -u vpkgalice -- tunnelctl sa
check "upgrade: the kept connection vpkgreload is loaded again" wait_for 20 conn_loaded

# the unit's hardening under systemd (tests/vm/package_harden.sh)
harden_caps
harden_syscalls
# each capability taken out of the bounding set, and what is lost without it
# (the journal lines asserted are tunneld's and charon's own)
nocap_check() {
  local cap=$1 what=$2; shift 2
  check "without $cap: $what" "$@" || sed 's/^/    /' "/job/out/nocap_$cap.txt"
}
harden_nocap cap_net_admin "CAP_NET_RAW CAP_NET_BIND_SERVICE"
nocap_check cap_net_admin "the start fails: charon cannot bind its XFRM event socket (EPERM), tunneld does not start" \
  sh -c 'grep -qx "is-active: failed" /job/out/nocap_cap_net_admin.txt &&
    grep -qF "unable to bind XFRM event socket: Operation not permitted" /job/out/nocap_cap_net_admin.txt &&
    grep -qF "tunneld: not starting:" /job/out/nocap_cap_net_admin.txt'
harden_nocap cap_net_raw "CAP_NET_ADMIN CAP_NET_BIND_SERVICE"
nocap_check cap_net_raw "the start fails: path er's echo probe cannot open its raw ICMP socket" \
  sh -c 'grep -qx "is-active: failed" /job/out/nocap_cap_net_raw.txt &&
    grep -qF "echo: cannot open the raw ICMP probe socket: Operation not permitted (needs CAP_NET_RAW)" /job/out/nocap_cap_net_raw.txt'
harden_nocap cap_net_bind_service "CAP_NET_ADMIN CAP_NET_RAW"
nocap_check cap_net_bind_service "the start fails: charon cannot bind UDP 500/4500, tunneld refuses to run without IKE" \
  sh -c 'grep -qx "is-active: failed" /job/out/nocap_cap_net_bind_service.txt &&
    grep -qx "udp: " /job/out/nocap_cap_net_bind_service.txt &&
    grep -qF "could not create any sockets" /job/out/nocap_cap_net_bind_service.txt &&
    grep -qF "tunneld: not starting: tunneld.port: charon could not open an IKE socket on UDP 500/4500" /job/out/nocap_cap_net_bind_service.txt'
check "the unit as packaged again after the drop-ins (site routed, IKE on UDP 500)" harden_nocap_restore

# flush_on_exit = yes (at reload): a stop withdraws the site's routes
vs_flush_on_exit yes
l0=$(loads)
systemctl reload tunneld
check "flush_on_exit = yes: reloaded" wait_for 30 more_loads
systemctl stop tunneld
check "flush_on_exit = yes: stop withdraws the site's route" wait_for 20 vs_no_route
check "flush_on_exit = yes: the sensor's ping finds no route after the stop" vs_no_ping
vs_flush_on_exit default
systemctl start tunneld
check "flush_on_exit default (no): active again, site routed" wait_for 60 ready

# remove: the service is stopped
pid=$(systemctl show -p MainPID --value tunneld)
apt-get remove -y -q tunneld < /dev/null > /job/out/apt_remove.txt 2>&1
rc=$?
check "remove: apt-get remove (rc $rc)" [ "$rc" = 0 ]
check "remove: the unit is inactive and its main process ($pid) gone" \
  sh -c "[ \"\$(systemctl is-active tunneld)\" = inactive ] && ! kill -0 $pid 2> /dev/null"
check "remove: /etc/tunneld (conffiles) still there" [ -f /etc/tunneld/swanctl.conf ]
check "remove: the site's route stays (flush_on_exit default no)" vs_route
check "remove: the sensor's ping still crosses (the kernel forwards, no tunneld)" vs_ping 3

# purge: the configuration goes, the group stays (a member may still exist)
apt-get purge -y -q tunneld < /dev/null > /job/out/apt_purge.txt 2>&1
rc=$?
check "purge: apt-get purge (rc $rc)" [ "$rc" = 0 ]
check "purge: /etc/tunneld is gone" [ ! -e /etc/tunneld ] || ls -laR /etc/tunneld
check "purge: group tunneld kept" getent group tunneld
done_exit
