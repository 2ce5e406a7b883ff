#!/usr/bin/env bash
# The kernel data plane: tunneld with dataplane = xfrm makes its XFRM
# interfaces at start. This kernel has no XFRM interfaces, so tunneld must
# refuse to start: exit 1, one line naming the key, the interface and the
# kernel's error (and CONFIG_XFRM_INTERFACE only because the kernel says the
# link kind is unknown), no half-made link, no pid file or socket left. Where
# the kernel has them, the interface must exist with its if_id.
#
# Then the xfrm data plane without interfaces: the plugin list tunneld logged
# has kernel-netlink and not kernel-libipsec (the line must exist), and the
# child's if_id reaches the kernel: its trap policies carry if_id 42. Invalid
# interface settings are refused by tunneld -n, naming the key.
#
#   xfrm_dataplane.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-xfrmdp}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = 198.51.100.2
    children {
      sensors {
        local_ts = 100.64.1.0/24
        remote_ts = 100.64.2.0/24
        if_id_in = 42
        if_id_out = 42
        start_action = trap
      }
    }
  }
}
CONF
conf="$T_DIR/gw/tunneld.conf"
logf="$T_DIR/gw/tunneld.log"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm"
sed -i '/dataplane = libipsec/d' "$conf"
cp "$conf" "$T_DIR/base.conf"
# with_ifs LINES... -> the settings plus a tunneld.xfrm.interfaces section
with_ifs() {
  cp "$T_DIR/base.conf" "$conf"
  { echo "tunneld {"; echo " xfrm {"; echo "  interfaces {"; local l; for l in "$@"; do echo "   $l"; done
    echo "  }"; echo " }"; echo "}"; } >> "$conf"
}
with_ifs "xfrm-azure {" "if_id = 42" "}"
check "tunneld -n accepts the xfrm configuration" nsx gw "$TUNNELD" -n -f "$conf"

if nsx gw ip link add xfrmprobe type xfrm if_id 1 2>/dev/null; then
  nsx gw ip link del xfrmprobe
  log "this kernel has XFRM interfaces"
  tunneld_start gw
  check "xfrm-azure exists with if_id 42" sh -c "ip -n $TEST-gw -d link show xfrm-azure | grep -q 'if_id 0x2a'"
  check "tunneld stops cleanly" tunneld_stop gw
else
  log "this kernel has no XFRM interfaces (expected on the test machines)"
  daemon_spawn gw gw -d 1
  daemon_exit gw $(scaled 30)
  check "tunneld refuses to start: exit 1 (got $EXIT_STATUS)" [ "$EXIT_STATUS" = 1 ]
  line="not starting: tunneld.xfrm.interfaces.xfrm-azure: cannot create XFRM interface xfrm-azure (if_id 42): the kernel says: Operation not supported (Unknown device type): this kernel has no XFRM interfaces (CONFIG_XFRM_INTERFACE)"
  check "its log has one line naming the key, the interface, the kernel's error and the missing feature" \
    sh -c "[ \$(grep -c 'not starting' '$logf') = 1 ] && grep -qF '$line' '$logf'"
  check "stderr has the same line, and only it" \
    sh -c "[ \$(wc -l < '$T_DIR/gw/stderr.log') = 1 ] && grep -qF 'tunneld: $line' '$T_DIR/gw/stderr.log'"
  check "no half-made link is left" sh -c "! ip -n $TEST-gw link show xfrm-azure 2>/dev/null"
  check "no pid file is left" [ ! -e "$T_DIR/gw/tunneld.pid" ]
  check "no control socket is left" [ ! -e "$T_DIR/gw/ctl" ]
  check "IKE never started (no vici socket)" [ ! -e "$T_DIR/gw/vici" ]
  check "no sanitizer report" no_sanitizer_report gw
  # (a tunneld that ran on regardless is stopped, so that the rest can run)
  [ "$EXIT_STATUS" != running ] || { kill -TERM "$TUNNELD_PID_gw"; daemon_exit gw $(scaled 30); }
fi

# the xfrm data plane without interfaces runs here
cp "$T_DIR/base.conf" "$conf"
rm -f "$logf"
tunneld_start gw
check "tunneld logged its plugin list" grep -q "loaded plugins: " "$logf"
check "the plugin list has kernel-netlink (xfrm data plane)" \
  sh -c "grep 'loaded plugins: ' '$logf' | grep -qw kernel-netlink"
check "the plugin list has no kernel-libipsec" \
  sh -c "grep 'loaded plugins: ' '$logf' | grep -q . && ! grep 'loaded plugins: ' '$logf' | grep -q kernel-libipsec"
policy_if_id() {
  nsx gw ip xfrm policy show | grep -A6 "src 100.64.1.0/24 dst 100.64.2.0/24" | grep -q "if_id 0x2a"
}
check "the child's trap policy in the kernel carries if_id 42" wait_for $(scaled 10) "trap policy" policy_if_id
nsx gw ip xfrm policy show | grep -B2 -A6 "if_id" | head -12
check "tunneld stops cleanly" tunneld_stop gw

# invalid interface settings: tunneld -n refuses them, naming the key
refused() { # refused "what" "expected message" LINES...
  local what=$1 msg=$2; shift 2
  with_ifs "$@"
  nsx gw "$TUNNELD" -n -f "$conf" > "$T_DIR/n.txt" 2>&1
  local rc=$?
  check "tunneld -n refuses $what (exit 1, got $rc)" [ $rc = 1 ]
  check "naming it: $msg" grep -qF "$msg" "$T_DIR/n.txt"
}
refused "an if_id with trailing junk" "tunneld.xfrm.interfaces.x1.if_id: expected a decimal number from 1 to 4294967293, got '42abc'" "x1 {" "if_id = 42abc" "}"
refused "if_id 0" "tunneld.xfrm.interfaces.x1.if_id: expected a decimal number from 1 to 4294967293, got '0'" "x1 {" "if_id = 0" "}"
refused "an if_id past 32 bits (4294967338 would wrap to 42)" "got '4294967338'" "x1 {" "if_id = 4294967338" "}"
refused "%unique's if_id" "got '4294967295'" "x1 {" "if_id = 4294967295" "}"
refused "a missing if_id" "tunneld.xfrm.interfaces.x1.if_id: expected a decimal number" "x1 {" "dev = lo" "}"
refused "two interfaces with one if_id" "tunneld.xfrm.interfaces.x2.if_id: 42 is already the if_id of x1" \
  "x1 {" "if_id = 42" "}" "x2 {" "if_id = 42" "}"
refused "a 16-byte interface name" "'xfrm-0123456789a' is not a usable interface name (1 to 15 bytes" \
  "xfrm-0123456789a {" "if_id = 42" "}"
refused "a device that does not exist" "tunneld.xfrm.interfaces.x1.dev: the underlying device nosuchdev0 does not exist" \
  "x1 {" "if_id = 42" "dev = nosuchdev0" "}"
refused "a device name too long" "tunneld.xfrm.interfaces.x1.dev: 'eth0123456789abcd' is not a usable interface name" \
  "x1 {" "if_id = 42" "dev = eth0123456789abcd" "}"
refused "an unknown key" "tunneld.xfrm.interfaces.x1.ifid: unknown key (expected if_id, dev, mss)" "x1 {" "ifid = 42" "}"
refused "an MSS below 536" "tunneld.xfrm.interfaces.x1.mss: expected 0 (no clamp) or a decimal number from 536 to 9000, got '535'" \
  "x1 {" "if_id = 42" "mss = 535" "}"
refused "an MSS above 9000" "tunneld.xfrm.interfaces.x1.mss: expected 0 (no clamp) or a decimal number from 536 to 9000, got '9001'" \
  "x1 {" "if_id = 42" "mss = 9001" "}"
refused "an MSS with junk" "got '1350x'" "x1 {" "if_id = 42" "mss = 1350x" "}"
refused "a negative MSS" "got '-1'" "x1 {" "if_id = 42" "mss = -1" "}"
refused "a clamp on a name with '*' (nft would match by prefix)" "tunneld.xfrm.interfaces.x*.mss: the MSS clamp's rule cannot match this name exactly" "x* {" "if_id = 42" "}"
refused "a link of that name that is not an XFRM interface" "tunneld.xfrm.interfaces.lo: a link named lo exists and is not an XFRM interface with if_id 42" \
  "lo {" "if_id = 42" "}"
# and the daemon refuses the same before it changes anything
with_ifs "x1 {" "if_id = 42abc" "}"
daemon_spawn gw gw -d 1
daemon_exit gw $(scaled 30)
check "the daemon refuses a bad if_id too (exit 1, got $EXIT_STATUS)" [ "$EXIT_STATUS" = 1 ]
check "naming the key" grep -q "not starting: tunneld.xfrm.interfaces.x1.if_id: expected a decimal number" "$T_DIR/gw/stderr.log"

# a wrong data plane name is refused with the key and the expected values
sed -i 's/dataplane = xfrm/dataplane = vti/' "$conf"
check "tunneld -n rejects dataplane = vti" sh -c "! '$TUNNELD' -n -f '$conf' 2>'$T_DIR/dp.txt'"
check "naming the key and the expected values" grep -q "tunneld.dataplane: expected 'xfrm' or 'libipsec', got 'vti'" "$T_DIR/dp.txt"
finish
