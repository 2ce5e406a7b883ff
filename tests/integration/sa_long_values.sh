#!/usr/bin/env bash
# Values longer than any fixed field the SA records once had, against
# Debian's stock charon; tunnelctl -j sa must hold each one whole, equal to
# what charon reports on tunneld's vici socket (swanctl --list-sas):
#  - a CHILD_SA of 30 traffic selectors on each side (over 400 bytes each);
#  - identities of over 300 bytes: a distinguished name (ours) and an FQDN
#    (the peer's);
#  - a down reason whose detail names two identities of over 300 bytes each
#    (the peer presents a long FQDN that fails remote.id's long wildcard).
# tunnelctl's table shows the same values whole.
#
#   sa_long_values.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-salval}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/sa_lib.sh"

N_TS=30
azure_netns gw az
# ts_list THIRD_OCTET -> 30 /29 subnets of 100.64.THIRD.0/24, comma-separated
ts_list() {
  local i out=""
  for i in $(seq 0 $((N_TS - 1))); do out="$out${out:+, }100.64.$1.$((i * 8))/29"; done
  echo "$out"
}
LOCAL_TS=$(ts_list 1)
REMOTE_TS=$(ts_list 2)
# kernel-libipsec needs an address of each host inside each of its subnets
for i in $(seq 1 $((N_TS - 1))); do
  echo "address add 100.64.1.$((i * 8 + 1))/32 dev lo" >> "$T_DIR/gw.batch"
  echo "address add 100.64.2.$((i * 8 + 1))/32 dev lo" >> "$T_DIR/az.batch"
done
echo "address add 100.64.41.1/32 dev lo" >> "$T_DIR/gw.batch"
echo "address add 100.64.42.1/32 dev lo" >> "$T_DIR/az.batch"
nsx gw ip -batch "$T_DIR/gw.batch" || die "addresses of gw"
nsx az ip -batch "$T_DIR/az.batch" || die "addresses of az"
# label N -> a DNS label of N letters
label() { head -c "$1" /dev/zero | tr '\0' 'q'; }
# ours: a distinguished name of over 300 bytes, written as charon prints it
OUR_DN="C=US, O=Contoso Sensors $(label 60), OU=OT Sensors $(label 60), OU=Gateways $(label 60), CN=gateway-$(label 60).sensors.example"
# the peer's: an FQDN of over 300 bytes
PEER_FQDN="$(label 60).$(label 60).$(label 60).$(label 60).$(label 50).azure.example"
# identity mismatch: the peer presents OTHER_FQDN, remote.id requires *.REQUIRED
OTHER_FQDN="$(label 60).$(label 60).$(label 60).$(label 60).$(label 50).other.example"
REQUIRED="*.$(label 60).$(label 60).$(label 60).$(label 60).$(label 50).azure.example"
IDM_ID="idm@$(label 60).sensors.example"
log "identity lengths: ${#OUR_DN} ${#PEER_FQDN} ${#OTHER_FQDN} ${#REQUIRED}"
# One PSK without owners on each side: strongSwan 5.9.8's vici cuts the
# owner identities of a shared key at 255 bytes (vici_cred.c), so a secret
# naming these identities would never match them.

cat > "$T_DIR/peer.conf" <<CONF
connections {
  long-gw {
    version = 2
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = $PEER_FQDN
    }
    remote {
      auth = psk
      id = "$OUR_DN"
    }
    children {
      vnet {
        local_ts = $REMOTE_TS
        remote_ts = $LOCAL_TS
        esp_proposals = aes256gcm16
      }
    }
  }
  idm-gw {
    version = 2
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = $OTHER_FQDN
    }
    remote {
      auth = psk
      id = $IDM_ID
    }
    children {
      idm {
        local_ts = 100.64.42.0/24
        remote_ts = 100.64.41.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-any {
    secret = long-values-test
  }
}
CONF
install -m 600 /dev/null "$T_DIR/swanctl.conf"
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  long {
    version = 2
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = "$OUR_DN"
    }
    remote {
      auth = psk
      id = $PEER_FQDN
    }
    children {
      sensors {
        local_ts = $LOCAL_TS
        remote_ts = $REMOTE_TS
        esp_proposals = aes256gcm16
        start_action = start
      }
    }
  }
  idm {
    version = 2
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = $IDM_ID
    }
    remote {
      auth = psk
      id = $REQUIRED
    }
    children {
      idm {
        local_ts = 100.64.41.0/24
        remote_ts = 100.64.42.0/24
        esp_proposals = aes256gcm16
        start_action = start
      }
    }
  }
}
secrets {
  ike-any {
    secret = long-values-test
  }
}
CONF
charon_peer_start az "$T_DIR/peer.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw

swait 30 "long up" row_tells_truth gw long sensors || die "the tunnel did not come up"

# same_list TABLE_VALUE CHARON_VALUE -> the table's comma-separated list is
# charon's space-separated one, element by element, with N_TS elements
same_list() {
  python3 -c '
import sys
table, charon, n = sys.argv[1].split(","), sys.argv[2].split(), int(sys.argv[3])
print("table: %d selectors, charon: %d" % (len(table), len(charon)), file=sys.stderr)
sys.exit(0 if table == charon and len(table) == n else 1)' "$1" "$2" "$N_TS"
}
# same_text WHAT TABLE_VALUE EXPECTED MIN_LEN -> equal, and at least MIN_LEN bytes
same_text() {
  [ "$2" = "$3" ] && [ "${#2}" -ge "$4" ] && return 0
  log "$1: the table has ${#2} bytes '$2'"
  log "$1: expected ${#3} bytes '$3'"
  return 1
}
ts_l=$(sa_child gw long sensors local_ts)
ts_r=$(sa_child gw long sensors remote_ts)
log "the table's local_ts: ${#ts_l} bytes, remote_ts: ${#ts_r} bytes"
check "local_ts: the table lists charon's 30 local selectors, whole" \
  same_list "$ts_l" "$(vici_sa gw long sensors local-ts)"
check "remote_ts: the table lists charon's 30 remote selectors, whole" \
  same_list "$ts_r" "$(vici_sa gw long sensors remote-ts)"
check "local_id: the table's is charon's distinguished name, whole" \
  same_text local_id "$(sa_ike gw long local_id)" "$(vici_sa gw long "" local-id)" 300
check "remote_id: the table's is charon's FQDN, whole" \
  same_text remote_id "$(sa_ike gw long remote_id)" "$(vici_sa gw long "" remote-id)" 300
check "local_addr/remote_addr: charon's" same_text addrs \
  "$(sa_ike gw long local_addr) $(sa_ike gw long remote_addr)" \
  "$(vici_sa gw long "" local-host) $(vici_sa gw long "" remote-host)" 0
check "the table's identities are those configured" same_text ids \
  "$(sa_ike gw long local_id)|$(sa_ike gw long remote_id)" "$OUR_DN|$PEER_FQDN" 600

# tunnelctl's table prints charon's lists whole too (nothing in them is escaped)
tctl gw sa > "$T_DIR/sa.txt"
has_line() { grep -qF -- "$1" "$T_DIR/sa.txt"; }
check "tunnelctl sa shows charon's whole local selector list" \
  has_line "$(vici_sa gw long sensors local-ts | tr ' ' ',')"
check "tunnelctl sa shows charon's whole remote selector list" \
  has_line "$(vici_sa gw long sensors remote-ts | tr ' ' ',')"

# --- a detail naming two long identities ---
idm_failed() { ike_is gw idm down identity-mismatch; }
check "identity mismatch: the row says identity-mismatch" swait 20 "idm failed" idm_failed
want="the peer presented identity '$OTHER_FQDN', remote.id requires '$REQUIRED'"
check "identity mismatch: the detail names both identities whole" \
  same_text detail "$(sa_ike gw idm last_down.detail)" "$want" 600
tctl gw sa > "$T_DIR/sa.txt"
check "tunnelctl sa shows the whole detail" has_line "identity-mismatch: $want"

check "tunneld stops cleanly" tunneld_stop gw
finish
