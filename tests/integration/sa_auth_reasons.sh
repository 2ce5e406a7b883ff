#!/usr/bin/env bash
# Our own authentication fails (charon raises ALERT_LOCAL_AUTH_FAILED) for two
# causes an operator must tell apart, against Debian's stock charon:
#  a) the peer holds another PSK: it rejects our AUTH and answers
#     AUTHENTICATION_FAILED; the row's reason names the peer's notify;
#  b) tunneld holds no secret for its connection (no secrets section): charon
#     cannot build our AUTH ("no shared key found") and never sends it; the
#     row's reason says we had no credential, not that the peer rejected us.
# Each case is compared with what charon logged on both sides.
#
#   sa_auth_reasons.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-saauth}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/sa_lib.sh"

azure_netns gw az
azure_gateway_conf "$T_DIR/peer.conf" the-peers-secret
charon_peer_start az "$T_DIR/peer.conf"
PEER_LOG="$T_DIR/az/charon.log"
LOG="$T_DIR/gw/tunneld.log"

# since FILE OFFSET -> FILE's text after byte OFFSET
since() { tail -c +$(($2 + 1)) "$1" 2>/dev/null; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# logged_since FILE OFFSET PATTERN -> grep -E in FILE's text after OFFSET
logged_since() { since "$1" "$2" | grep -qE "$3"; }
# lacks TEXT PATTERN -> TEXT has no line matching PATTERN (grep -iE)
lacks() { ! grep -qiE "$2" <<<"$1"; }
azure_failed() { ike_is gw azure down auth-failed; }

# --- a) the peer rejects our credentials ---
azure_site_conf "$T_DIR/swanctl-a.conf" not-the-peers-secret
tunneld_write_conf gw "$T_DIR/swanctl-a.conf"
peer_at=$(size_of "$PEER_LOG")
tunneld_start gw
check "a) the row says auth-failed" swait 30 "azure auth-failed" azure_failed
detail=$(sa_ike gw azure last_down.detail)
log "a) detail: $detail"
check "a) charon (tunneld) received the peer's AUTHENTICATION_FAILED" \
  grep -q "received AUTHENTICATION_FAILED notify error" "$LOG"
check "a) the peer's charon failed our AUTH and answered AUTHENTICATION_FAILED" \
  logged_since "$PEER_LOG" "$peer_at" "MAC mismatched"
check "a) the detail says the peer rejected our credentials" \
  grep -q "the peer rejected our credentials" <<<"$detail"
check "a) the detail names the peer's notify" grep -q "AUTHENTICATION_FAILED" <<<"$detail"
check "a) the detail does not say we had no credential" \
  lacks "$detail" "could not authenticate ourselves|no usable credential"
check "a) one log line gives the reason and the notify" \
  grep -qE "tunneld: connection 'azure': auth-failed \(.*AUTHENTICATION_FAILED.*\); IKE_SA #[0-9]+ is down" "$LOG"
check "a) tunneld stops cleanly" tunneld_stop gw

# --- b) tunneld has no secret for its connection ---
azure_site_conf "$T_DIR/swanctl-b.conf" unused
# the secrets section is the file's last: drop it (the file keeps its mode)
sed -i '/^secrets {/,$d' "$T_DIR/swanctl-b.conf"
grep -q secret "$T_DIR/swanctl-b.conf" && die "b) the secrets section is still there"
mv "$LOG" "$T_DIR/gw/tunneld-a.log"
tunneld_write_conf gw "$T_DIR/swanctl-b.conf"
peer_at=$(size_of "$PEER_LOG")
tunneld_start gw
check "b) the row says auth-failed" swait 30 "azure auth-failed" azure_failed
detail=$(sa_ike gw azure last_down.detail)
log "b) detail: $detail"
check "b) charon (tunneld) found no shared key for our identities" \
  grep -q "no shared key found for '198.51.100.1' - '198.51.100.2'" "$LOG"
check "b) the peer answered IKE_SA_INIT (it was reachable)" \
  logged_since "$PEER_LOG" "$peer_at" "parsed IKE_SA_INIT request"
check "b) the peer never received our IKE_AUTH, so it rejected nothing" \
  lacks "$(since "$PEER_LOG" "$peer_at")" "parsed IKE_AUTH request|AUTH_FAILED"
check "b) the detail says we could not authenticate ourselves" \
  grep -q "we could not authenticate ourselves: no usable credential for our identity" <<<"$detail"
check "b) the detail names both identities as charon's key lookup does" \
  grep -qF "'198.51.100.1' - '198.51.100.2'" <<<"$detail"
check "b) the detail does not say the peer rejected us" \
  lacks "$detail" "peer rejected|rejected our"
check "b) one log line gives the reason" \
  grep -qE "tunneld: connection 'azure': auth-failed \(we could not authenticate ourselves.*\); IKE_SA #[0-9]+ is down" "$LOG"
check "b) tunneld stops cleanly" tunneld_stop gw
finish
