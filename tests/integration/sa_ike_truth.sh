#!/usr/bin/env bash
# IKE_SA cases against Debian's stock charon, the SA table compared with what
# charon reports on tunneld's vici socket (swanctl --list-sas):
#  - the peer rekeys the IKE_SA (Azure does every 8 hours) and deletes the
#    old one: routine, no deleted-by-peer, one rekey, the row on the new SA;
#  - the peer's PSK is right but its identity fails remote.id: the reason
#    names the identity problem and both identities, not the credentials;
#  - an unreachable peer with keyingtries = 0 (charon retries on the same
#    IKE_SA): the row says connecting and why, while charon retries.
#
#   sa_ike_truth.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-saike}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/sa_lib.sh"

azure_netns gw az
# a second address of the peer's host that never answers IKE
nsx az ip addr add 198.51.100.9/32 dev eth0
nsx az nft -f - <<NFT
table inet mute {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 198.51.100.9 udp dport { 500, 4500 } counter drop
  }
}
NFT

azure_gateway_conf "$T_DIR/peer.conf" ike-truth-test
# the peer also answers idm@sensors, presenting an identity outside *.azure.example
cat >> "$T_DIR/peer.conf" <<CONF
connections {
  idm-gw {
    local_addrs = 198.51.100.2
    proposals = aes256-sha1-modp1024
    encap = yes
    local {
      auth = psk
      id = gw.other.example
    }
    remote {
      auth = psk
      id = idm@sensors
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
  ike-idm {
    id-1 = idm@sensors
    id-2 = gw.other.example
    secret = ike-truth-test
  }
}
CONF
azure_site_conf "$T_DIR/swanctl.conf" ike-truth-test
cat >> "$T_DIR/swanctl.conf" <<CONF
connections {
  idm {
    version = 2
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha1-modp1024
    encap = yes
    local {
      auth = psk
      id = idm@sensors
    }
    remote {
      auth = psk
      id = *.azure.example
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
  far : presets.azure {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.9
    local {
      id = 198.51.100.1
    }
    remote {
      id = 198.51.100.9
    }
    children {
      far : presets.azure-child {
        local_ts = 100.64.51.0/24
        remote_ts = 100.64.52.0/24
      }
    }
  }
}
secrets {
  ike-idm {
    id-1 = idm@sensors
    id-2 = gw.other.example
    secret = ike-truth-test
  }
}
CONF
nsx gw ip addr add 100.64.41.1/32 dev lo
nsx az ip addr add 100.64.42.1/32 dev lo

charon_peer_start az "$T_DIR/peer.conf"
# an attempt gives up after 1 + 1.5 s; keyingtries = 0 (the preset) tries again
tunneld_write_conf gw "$T_DIR/swanctl.conf" "retransmit_timeout = 1" "retransmit_tries = 1" \
  "retransmit_base = 1.5"
tunneld_start gw
LOG="$T_DIR/gw/tunneld.log"

# ike_tells_truth NAME CONN -> the row is up on the IKE_SA charon has ESTABLISHED
ike_tells_truth() {
  local want
  want=$(charon_ikes "$1" | awk -v c="$2" '$1 == c && $3 == "ESTABLISHED" {print $2}')
  [ -n "$want" ] && [ "$(wc -l <<<"$want")" = 1 ] &&
    [ "$(sa_ike "$1" "$2" unique_id)" = "$want" ] && ike_is "$1" "$2" up
}

# --- the peer rekeys the IKE_SA ---
swait 30 "azure up" row_tells_truth gw azure sensors || die "the tunnel did not come up"
old=$(sa_ike gw azure unique_id)
peer_swanctl az --rekey --ike azure-gw > "$T_DIR/peer-rekey.txt" 2>&1
rekeyed() { [ "$(sa_ike gw azure unique_id)" != "$old" ] && ike_tells_truth gw azure; }
check "peer's IKE rekey: the row follows the new IKE_SA charon has ESTABLISHED" \
  swait 10 "ike rekeyed" rekeyed
# the peer deletes the old IKE_SA after the rekey: wait until charon dropped it
old_gone() { ! charon_ikes gw | awk '{print $2}' | grep -qx "$old"; }
check "charon deleted the old IKE_SA" swait 10 "old IKE_SA gone" old_gone
check "peer's IKE rekey: no last down (routine, not deleted-by-peer)" \
  [ "$(sa_ike gw azure last_down)" = None ]
check "peer's IKE rekey: one rekey counted" [ "$(sa_ike gw azure rekeys)" = 1 ]
check "peer's IKE rekey: the CHILD_SA row still tells the truth" row_tells_truth gw azure sensors
check "peer's IKE rekey: nothing logged as deleted-by-peer" \
  sh -c "! grep -q 'deleted-by-peer' '$LOG'"

# --- identity mismatch ---
idm_failed() { ike_is gw idm down identity-mismatch; }
check "identity: the row says identity-mismatch" swait 20 "idm failed" idm_failed
detail=$(sa_ike gw idm last_down.detail)
log "identity: $detail"
check "identity: the detail names the presented and the required identity" \
  grep -q "'gw.other.example'.*'\*.azure.example'" <<<"$detail"
not_credentials() { ! grep -qi credentials <<<"$detail"; }
check "identity: the detail does not send the operator after the PSK" not_credentials
no_idm() { ! charon_ikes gw | grep -q '^idm '; }
check "identity: charon has no IKE_SA for idm" no_idm
check "identity: strongSwan logged the constraint failure itself" \
  grep -q "constraint check failed: identity '\*.azure.example' required" "$LOG"

# --- unreachable, keyingtries = 0: charon retries on the same IKE_SA ---
retried() { [ "$(grep -c "peer not responding, trying again" "$LOG")" -ge 1 ]; }
check "unreachable: charon gave up an attempt and tries again" swait 20 "retry" retried
far_truth() {
  local want
  want=$(charon_ikes gw | awk '$1 == "far" && $3 == "CONNECTING" {print $2}')
  [ -n "$want" ] && [ "$(sa_ike gw far unique_id)" = "$want" ] &&
    ike_is gw far connecting unreachable
}
check "unreachable: the row says connecting with reason unreachable, on charon's IKE_SA" \
  swait 5 "far connecting + reason" far_truth
check "unreachable: the detail says charon tries again" \
  grep -q "trying again" <<<"$(sa_ike gw far last_down.detail)"
check "unreachable: the peer never answered (its IKE drops counted)" \
  [ "$(nft_count az mute)" -gt 0 ]

check "tunneld stops cleanly" tunneld_stop gw
finish
