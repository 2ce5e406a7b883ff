#!/usr/bin/env bash
# health_bfd_self: a multihop BFD path whose remote is one of tunneld's own
# addresses (local and remote swapped, a typo) would talk to itself: its
# own packets come back through the local table and the session came Up
# with the far side gone. Start must refuse it, naming the site, the path
# and the remote; nothing runs. Root; netns named after $TEST.
#   bfd_self.sh TUNNELD TUNNELCTL REPO
TEST=${TEST:-hbself}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2
health_swanctl "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        er {
          type = expressroute
          dev = er0
          gateway4 = 192.0.2.2
          priority = 10
          bfd {
            remote = 192.0.2.1
            multihop = yes
            min_tx = 100ms
            min_rx = 100ms
          }
        }
        bk {
          dev = bk0
          gateway4 = 198.51.100.2
          priority = 30
        }
      }
    }
  }
}
CONF
# bounded: a tunneld that accepts the path runs until the timeout (rc 124)
nsx gw timeout -k 1 20 "$TUNNELD" -f "$T_DIR/gw/tunneld.conf" -d 1 >"$T_DIR/start.log" 2>&1
rc=$?
log "tunneld start rc=$rc"
sed 's/^/  start: /' "$T_DIR/start.log" | grep -i "bfd\|error\|refus" | head -5
check "start refuses the path (exit status 1)" test "$rc" = 1
# refused by the configuration check (before anything runs), naming the key;
# the BFD layer refuses it too when a session is made (unit_bfd_demux)
check "the error names site, path and remote" \
  grep -q "tunneld.sites.azure.paths.er.bfd.remote: 192.0.2.1 is an address of this host" \
  "$T_DIR/start.log" "$T_DIR/gw/tunneld.log"
finish
