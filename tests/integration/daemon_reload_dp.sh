#!/usr/bin/env bash
# Issue 7 item 10 (data plane side): at SIGHUP a changed data plane key is
# never ignored without a word. tunneld (data plane xfrm) keeps what runs and
# logs, naming the key, that a changed tunneld.dataplane, tunneld.load or
# tunneld.control_socket needs a restart; an XFRM interface added to the
# settings is created at once (on this kernel, which has no XFRM interfaces,
# the log gives the key and the kernel's error, and no link is left); an
# invalid one is refused with its key. tunneld keeps running throughout.
#
#   daemon_reload_dp.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-drldp}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
echo "connections { }" > "$T_DIR/swanctl.conf"
conf="$T_DIR/gw/tunneld.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm"
sed -i '/dataplane = libipsec/d' "$conf"
cp "$conf" "$T_DIR/base.conf"
tunneld_start gw
logf="$T_DIR/gw/tunneld.log"
plugins0=$(grep "loaded plugins" "$logf")
check "the xfrm data plane runs (kernel-netlink loaded, kernel-libipsec not)" \
  sh -c "echo '$plugins0' | grep -q kernel-netlink && ! echo '$plugins0' | grep -q kernel-libipsec"

# hup EXTRA_SETTINGS... -> rewrites the settings (the base plus a tunneld
# section with the given lines) and sends SIGHUP; waits for the reload to end
n_reloads=0
hup() {
  cp "$T_DIR/base.conf" "$conf"
  { echo "tunneld {"; local kv; for kv in "$@"; do echo "  $kv"; done; echo "}"; } >> "$conf"
  n_reloads=$((n_reloads + 1))
  kill -HUP "$TUNNELD_PID_gw"
  wait_for $(scaled 10) "reload $n_reloads" sh -c "[ \$(grep -c 'connections loaded' '$logf') -gt $n_reloads ]" ||
    fail "reload $n_reloads did not finish"
}

hup "dataplane = libipsec"
check "a changed tunneld.dataplane is logged as needing a restart, xfrm kept" \
  grep -q "SIGHUP: tunneld.dataplane changed from 'xfrm' to 'libipsec': applied only when tunneld restarts; 'xfrm' stays in effect" "$logf"

hup "load = random nonce openssl kernel-netlink socket-default vici"
check "a changed tunneld.load is logged as needing a restart" \
  grep -q "SIGHUP: tunneld.load changed from '.*' to 'random nonce openssl kernel-netlink socket-default vici': applied only when tunneld restarts" "$logf"

hup "control_socket = unix://$T_DIR/gw/other.ctl"
check "a changed tunneld.control_socket is logged as needing a restart" \
  grep -q "SIGHUP: tunneld.control_socket changed from 'unix://$T_DIR/gw/ctl' to 'unix://$T_DIR/gw/other.ctl'" "$logf"
check "and the running socket still answers" tctl gw sa

# a changed vici socket needs a restart: the connections still load over the running one
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  added {
    remote_addrs = 198.51.100.2
    children {
      c {
        start_action = none
      }
    }
  }
}
CONF
hup "plugins {" "vici {" "socket = unix://$T_DIR/gw/other.vici" "}" "}"
check "a changed vici socket is logged as needing a restart" \
  grep -q "SIGHUP: tunneld.plugins.vici.socket changed from 'unix://$T_DIR/gw/vici' to 'unix://$T_DIR/gw/other.vici'" "$logf"
check "and the connections are loaded over the running one" sh -c "tctl_n() { '$TUNNELCTL' -s '$T_DIR/gw/ctl' -j sa; }; tctl_n | grep -q '\"added\"'"
echo "connections { }" > "$T_DIR/swanctl.conf"

hup "xfrm {" "interfaces {" "xfrm-new {" "if_id = 7x" "}" "}" "}"
check "an invalid if_id at SIGHUP is refused naming the key" \
  grep -q "SIGHUP: settings not reloaded, previous ones kept: tunneld.xfrm.interfaces.xfrm-new.if_id: expected a decimal number from 1 to 4294967293, got '7x' (tunneld -n refuses $conf: nothing of it is applied)" "$logf"

hup "xfrm {" "interfaces {" "xfrm-new {" "if_id = 7" "}" "}" "}"
if nsx gw ip link add xfrmprobe type xfrm if_id 1 2>/dev/null; then
  nsx gw ip link del xfrmprobe
  check "a new XFRM interface is created at SIGHUP" grep -q "SIGHUP: XFRM interface xfrm-new (if_id 7) is up" "$logf"
  check "with its if_id" sh -c "ip -n $TEST-gw -d link show xfrm-new | grep -q 'if_id 0x7'"
else
  check "a new XFRM interface at SIGHUP: the log names the key, the interface and the kernel's error" \
    grep -q "SIGHUP: tunneld.xfrm.interfaces.xfrm-new: cannot create XFRM interface xfrm-new (if_id 7): the kernel says: Operation not supported (Unknown device type): this kernel has no XFRM interfaces (CONFIG_XFRM_INTERFACE)" "$logf"
  check "no half-made link is left" sh -c "! ip -n $TEST-gw link show xfrm-new 2>/dev/null"
fi
check "tunneld keeps running" alive "$TUNNELD_PID_gw"
check "and serves" tctl gw sa
check "tunneld stops cleanly" tunneld_stop gw
finish
