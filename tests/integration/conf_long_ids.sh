#!/usr/bin/env bash
# Identities longer than charon's vici keeps (511 bytes of a connection's
# id, 255 of a shared key's owner: vici cuts the rest without a word, so a
# secret naming a long identity would never match) are refused by tunneld -n
# and at load, naming the key, the length and the limit; the other
# connections and secrets of the file load.
#
#   conf_long_ids.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-clongid}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
long512=$(printf 'a%.0s' $(seq 504)).example   # 512 bytes
long511=${long512:1}                            # 511 bytes: kept whole by vici
owner256=$(printf 'o%.0s' $(seq 248)).example   # 256 bytes
conn() { # NAME ID
  printf '  %s {\n    remote_addrs = 198.51.100.2\n    local {\n      auth = psk\n      id = %s\n    }\n    remote {\n      auth = psk\n    }\n    children {\n      c {\n        start_action = none\n      }\n    }\n  }\n' "$1" "$2"
}
{
  echo "connections {"
  conn longid "$long512"
  conn edge "$long511"
  echo "}"
  echo "secrets {"
  printf '  ike-long {\n    id = %s\n    secret = a-long-enough-secret\n  }\n' "$owner256"
  printf '  ike-ok {\n    id = %s\n    secret = another-long-secret\n  }\n' "${owner256:1}"
  echo "}"
} >"$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"

ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/n.out" 2>&1
nrc=$?
check "tunneld -n refuses the file (exit 1, got $nrc)" [ "$nrc" = 1 ]
check "-n names the key, the length and vici's limit" grep -qF \
  "connections.longid.local.id: an identity of 512 bytes: charon's vici keeps at most 511 bytes" "$T_DIR/n.out"
check "-n counts the secret's owner as a problem too" grep -qF "and more problems" "$T_DIR/n.out"

tunneld_start gw
LOGF=$T_DIR/gw/tunneld.log
check "the load ends (summary line)" wait_for 30 "summary" grep -q "connections loaded" "$LOGF"
check "the connection with a 512-byte id is refused at load, naming key and limit" grep -qF \
  "connections.longid.local.id: an identity of 512 bytes: charon's vici keeps at most 511 bytes" "$LOGF"
check "the SA table says config-error for it" ike_is gw longid config-error
check "the connection with a 511-byte id loads" grep -q "loaded connection 'edge'" "$LOGF"
check "the secret with a 256-byte owner is refused, naming the limit" grep -qF \
  "secret 'secrets.ike-long' rejected: an identity of 256 bytes: charon's vici keeps at most 255 bytes" "$LOGF"
check "the secret with a 255-byte owner loads, the other is rejected" \
  grep -q "1 connections loaded, 1 rejected, 0 unloaded; 1 secrets loaded, 1 rejected" "$LOGF"
check "no secret value in the logs" sh -c "! grep -q 'a-long-enough-secret\|another-long-secret' '$LOGF' '$T_DIR/n.out'"
check "tunneld stops cleanly" tunneld_stop gw
finish
