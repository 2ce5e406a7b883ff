#!/usr/bin/env bash
# CHILD_SA failures against Debian's stock charon, the SA table compared with
# what charon reports on tunneld's vici socket (swanctl --list-sas):
#  - one connection, three children: the peer answers TS_UNACCEPTABLE for
#    one, NO_PROPOSAL_CHOSEN for another, accepts the third: each child has
#    its own state and reason (no child stamped with another's reason);
#  - a rekey the peer refuses (it insists on PFS the child does not offer):
#    charon keeps the CHILD_SA INSTALLED and retries later; the row goes back
#    to up on the same SA instead of staying "rekeying".
#
#   sa_child_failures.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-sachfail}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/sa_lib.sh"

netns_new gw
netns_new az
veth_pair gw eth0 198.51.100.1/24 az eth0 198.51.100.2/24
# an address in each protected subnet (charon routes through it)
for n in 11 13 15 31; do nsx gw ip addr add 100.64.$n.1/32 dev lo; done
for n in 12 14 16 32; do nsx az ip addr add 100.64.$n.1/32 dev lo; done

# peer_conn NAME ID CHILDREN -> a connection of the stock peer for tunneld's ID
peer_conn() {
  cat <<CONF
  $1 {
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = 198.51.100.2
    }
    remote {
      auth = psk
      id = $2
    }
    children {
$3
    }
  }
CONF
}
# child NAME LOCAL_TS REMOTE_TS ESP [extra line] -> a child section
child() {
  printf '      %s {\n        local_ts = %s\n        remote_ts = %s\n        esp_proposals = %s\n%s      }\n' \
    "$1" "$2" "$3" "$4" "${5:+        $5
}"
}
secret() { printf '  ike-%s {\n    id-1 = %s\n    id-2 = 198.51.100.2\n    secret = child-failures-test\n  }\n' "$1" "$2"; }

# the peer: for kids@sensors only 100.64.11/12 and 100.64.13/14 (AES-256 only),
# nothing for 100.64.15/16; for pfs@sensors a child that insists on MODP_2048
cat > "$T_DIR/peer.conf" <<CONF
connections {
$(peer_conn kids-gw kids@sensors "$(child good 100.64.12.0/24 100.64.11.0/24 aes256gcm16)
$(child prop 100.64.14.0/24 100.64.13.0/24 aes256gcm16)")
$(peer_conn pfs-gw pfs@sensors "$(child pfs 100.64.32.0/24 100.64.31.0/24 aes256gcm16-modp2048)")
}
secrets {
$(secret kids kids@sensors)
$(secret pfs pfs@sensors)
}
CONF

# tunneld: the same, seen from the sensors' side
tconn() {
  cat <<CONF
  $1 {
    version = 2
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = $2
    }
    remote {
      auth = psk
      id = 198.51.100.2
    }
    children {
$3
    }
  }
CONF
}
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
$(tconn kids kids@sensors "$(child good 100.64.11.0/24 100.64.12.0/24 aes256gcm16 'start_action = start')
$(child badprop 100.64.13.0/24 100.64.14.0/24 aes128gcm16 'start_action = start')
$(child badts 100.64.15.0/24 100.64.16.0/24 aes256gcm16 'start_action = start')")
$(tconn pfs pfs@sensors "$(child pfs 100.64.31.0/24 100.64.32.0/24 aes256gcm16 'start_action = start')")
}
secrets {
$(secret kids kids@sensors)
$(secret pfs pfs@sensors)
}
CONF

charon_peer_start az "$T_DIR/peer.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw
LOG="$T_DIR/gw/tunneld.log"

# --- each child its own reason ---
settled_kids() {
  row_tells_truth gw kids good && child_is gw kids badprop down && child_is gw kids badts down
}
swait 30 "the three children settled" settled_kids
tctl gw sa > "$T_DIR/table.txt"
tunneld_swanctl gw --list-sas > "$T_DIR/list-sas.txt" 2>&1
log "tunnelctl sa:"; cat "$T_DIR/table.txt"
check "good: up, the CHILD_SA charon has INSTALLED" row_tells_truth gw kids good
check "good: no last down" [ "$(sa_child gw kids good last_down)" = None ]
check "charon has no CHILD_SA for badprop or badts" \
  sh -c "! grep -qE '^ +(badprop|badts):' '$T_DIR/list-sas.txt'"
check "badprop: down, proposal-mismatch" child_is gw kids badprop down proposal-mismatch
check "badts: down, ts-mismatch" child_is gw kids badts down ts-mismatch
check "badts: the detail names the peer's TS_UNACCEPTABLE" \
  grep -q TS_UNACCEPTABLE <<<"$(sa_child gw kids badts last_down.detail)"
check "the IKE_SA stays up (a CHILD_SA failure is not the connection's)" ike_is gw kids up
check "one log line per failed child, naming it" sh -c \
  "[ \$(grep -c \"connection 'kids' child 'badts': CHILD_SA failed: ts-mismatch\" '$LOG') = 1 ] &&
   [ \$(grep -c \"connection 'kids' child 'badprop': CHILD_SA failed: proposal-mismatch\" '$LOG') = 1 ]"

# --- a rekey the peer refuses (NO_PROPOSAL_CHOSEN: it wants PFS) ---
swait 20 "pfs up" row_tells_truth gw pfs pfs || die "the pfs child did not come up"
uid=$(sa_child gw pfs pfs unique_id)
failed_before=$(grep -c "CHILD_SA rekeying failed, trying again" "$LOG")
tunneld_swanctl gw --rekey --child pfs > "$T_DIR/rekey.txt" 2>&1
rekey_failed() { [ "$(grep -c "CHILD_SA rekeying failed, trying again" "$LOG")" -gt "$failed_before" ]; }
check "charon's rekey of pfs fails (the peer wants PFS)" swait 10 "rekey failure" rekey_failed
check "charon keeps the CHILD_SA INSTALLED, the row is up on it again" \
  swait 3 "row back up" row_tells_truth gw pfs pfs
check "the row still follows the same CHILD_SA" [ "$(sa_child gw pfs pfs unique_id)" = "$uid" ]
check "no rekey counted, no last down" sh -c \
  "[ '$(sa_child gw pfs pfs rekeys)' = 0 ] && [ '$(sa_child gw pfs pfs last_down)' = None ]"
check "the log says the rekey failed and the SA stays" \
  grep -q "connection 'pfs' child 'pfs': rekeying the CHILD_SA failed, the current one stays" "$LOG"
check "the table never had to be corrected by the reconciliation" \
  sh -c "! grep -q 'the row follows charon' '$LOG'"

check "tunneld stops cleanly" tunneld_stop gw
finish
