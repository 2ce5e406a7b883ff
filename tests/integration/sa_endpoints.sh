#!/usr/bin/env bash
# The IKE_SA moves to a new local address (MOBIKE, the gateway's address
# changes): charon raises ike_update before it switches endpoints, with the
# new ones as arguments. The SA table must show the new address (what
# swanctl --list-sas on tunneld's vici shows) and keep the time the IKE_SA
# was established.
#
#   sa_endpoints.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-saendp}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/sa_lib.sh"

azure_netns gw az
# a second address the gateway moves to when its first one goes
nsx gw sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.eth0.promote_secondaries=1
nsx gw ip addr add 198.51.100.3/24 dev eth0

cat > "$T_DIR/peer.conf" <<CONF
connections {
  mobile {
    version = 2
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    mobike = yes
    local {
      auth = psk
      id = 198.51.100.2
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      vnet {
        local_ts = 100.64.2.0/24
        remote_ts = 100.64.1.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
}
$(azure_secret ike-gw endpoints-test)
CONF
# tunneld's side: no fixed local address, MOBIKE on
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  mobile {
    version = 2
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    mobike = yes
    local {
      auth = psk
      id = 198.51.100.1
    }
    remote {
      auth = psk
      id = 198.51.100.2
    }
    children {
      sensors {
        local_ts = 100.64.1.0/24
        remote_ts = 100.64.2.0/24
        esp_proposals = aes256gcm16
        start_action = start
      }
    }
  }
}
$(azure_secret ike-azure endpoints-test)
CONF
charon_peer_start az "$T_DIR/peer.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw

# charon_local NAME CONN -> the local address charon shows for CONN's IKE_SA
charon_local() {
  tunneld_swanctl "$1" --list-sas --raw 2>/dev/null | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"list-sa event \{(\S+) \{.*?local-host=(\S+)", line.strip())
    if m and m.group(1) == sys.argv[1]:
        print(m.group(2))' "$2"
}
swait 30 "tunnel up" row_tells_truth gw mobile sensors || die "the tunnel did not come up"
check "before: tunneld uses 198.51.100.1" [ "$(sa_ike gw mobile local_addr)" = 198.51.100.1 ]
established=$(sa_ike gw mobile established)
uid=$(sa_ike gw mobile unique_id)
# one second later a re-read "established" would differ
sleep_until_next_second() { [ "$(date +%s)" -gt "$established" ]; }
swait 3 "a second passed" sleep_until_next_second

nsx gw ip addr del 198.51.100.1/24 dev eth0
moved() { [ "$(charon_local gw mobile)" = 198.51.100.3 ]; }
check "charon moved the IKE_SA to 198.51.100.3 (MOBIKE)" swait 15 "charon moved" moved
check "the log shows charon's endpoint update" \
  grep -q "local endpoint changed from 198.51.100.1\[4500\] to 198.51.100.3\[4500\]" \
  "$T_DIR/gw/tunneld.log"
row_moved() { [ "$(sa_ike gw mobile local_addr)" = 198.51.100.3 ]; }
check "the row shows the new local address, as charon does" swait 3 "row moved" row_moved
check "the row still follows the same IKE_SA, up" \
  sh -c "[ '$(sa_ike gw mobile unique_id)' = '$uid' ] && [ '$(sa_ike gw mobile state)' = up ]"
check "the time it was established is kept ($established)" \
  [ "$(sa_ike gw mobile established)" = "$established" ]
check "tunneld stops cleanly" tunneld_stop gw
finish
