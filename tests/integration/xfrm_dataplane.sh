#!/usr/bin/env bash
# The kernel data plane: tunneld with dataplane = xfrm makes its XFRM
# interfaces at start. This kernel has no XFRM interfaces, so the request is
# refused: tunneld must say which interface and which kernel feature, leave
# no half-made link behind, keep running (IKE still works) and pass if_id to
# the children it loads. Where the kernel has them, the same test checks the
# interface exists with its if_id.
#
#   xfrm_dataplane.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-xfrmdp}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = 198.51.100.2
    children {
      sensors {
        if_id_in = 42
        if_id_out = 42
        start_action = none
      }
    }
  }
}
CONF
tunneld_write_conf gw "$T_DIR/swanctl.conf"
sed -i 's/dataplane = libipsec/dataplane = xfrm/' "$T_DIR/gw/tunneld.conf"
cat >> "$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  xfrm {
    interfaces {
      xfrm-azure {
        if_id = 42
      }
    }
  }
}
CONF
check "tunneld -n accepts the xfrm configuration" "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf"

tunneld_start gw
check "tunneld keeps running" kill -0 "$TUNNELD_PID_gw"
if nsx gw ip link add xfrmprobe type xfrm if_id 1 2>/dev/null; then
  nsx gw ip link del xfrmprobe
  log "this kernel has XFRM interfaces"
  check "xfrm-azure exists with if_id 42" sh -c "ip -n $TEST-gw -d link show xfrm-azure | grep -q 'if_id 0x2a'"
else
  log "this kernel has no XFRM interfaces (expected on the test machines)"
  check "the log names the interface and the missing kernel feature" \
    grep -q "XFRM interface xfrm-azure (if_id 42).*CONFIG_XFRM_INTERFACE" "$T_DIR/gw/tunneld.log"
  check "no half-made link is left" sh -c "! ip -n $TEST-gw link show xfrm-azure 2>/dev/null"
fi
# swanctl --list-conns does not print if_id: read charon's dump of the loaded config
check "the child is loaded with its if_id" \
  sh -c "grep -A40 'child sensors:' '$T_DIR/gw/tunneld.log' | grep -q 'if_id_in = 42'"
check "the kernel-libipsec plugin is not loaded (xfrm data plane)" \
  sh -c "! grep 'loaded plugins' '$T_DIR/gw/tunneld.log' | grep -q kernel-libipsec"

# a wrong data plane name is refused with the key and the expected values
sed -i 's/dataplane = xfrm/dataplane = vti/' "$T_DIR/gw/tunneld.conf"
check "tunneld -n rejects dataplane = vti" sh -c "! '$TUNNELD' -n -f '$T_DIR/gw/tunneld.conf' 2>'$T_DIR/dp.txt'"
check "naming the key and the expected values" grep -q "tunneld.dataplane: expected 'xfrm' or 'libipsec', got 'vti'" "$T_DIR/dp.txt"
check "tunneld stops cleanly" tunneld_stop gw
finish
