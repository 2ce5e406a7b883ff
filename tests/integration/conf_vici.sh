#!/usr/bin/env bash
# tunneld -n and start agree on what charon loads (hostile review,
# conf_n_vs_start.sh: `proposals = no-such-algorithm` passed -n while charon
# rejected the connection at start). Each case is one connection with one
# key or section added, good or bad (proposals, traffic selectors, times,
# numbers, enums, auth methods, identities, marks, sections, unknown keys,
# the libipsec data plane's forced encap) and one secret with a bad
# identity. For each, `tunneld -n` on a file holding that connection alone,
# then one tunneld started with all of them: -n refuses exactly the
# connections charon rejects, quoting charon's own reason, and accepts the
# others (warning about what charon ignores).
#
#   conf_vici.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-cvici}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
D=$T_DIR
mkdir -p "$D/cases"

# LEVEL|LINE: where the line goes in connection c<N> (conn, local, children,
# child, or section: a whole section text under the connection)
CASES=(
  "conn|proposals = no-such-algorithm"
  "conn|proposals = aes256-sha256-modp2048, aes128gcm16-prfsha256-ecp256"
  "conn|proposals = default"
  "conn|proposals = aes256-modp2048"
  "conn|proposals = aes256-sha256"
  "conn|rekey_time = soon"
  "conn|rekey_time = 4h"
  "conn|rekey_time = 90 m"
  "conn|dpd_delay = 30x"
  "conn|version = two"
  "conn|version = 2"
  "conn|unique = sometimes"
  "conn|fragmentation = force"
  "conn|mobike = maybe"
  "conn|keyingtries = %forever"
  "conn|keyingtries = 0"
  "conn|if_id_in = %unique"
  "conn|if_id_in = abc"
  "conn|vips = 0.0.0.0, ::"
  "conn|vips = not-an-ip"
  "conn|dscp = 000010"
  "conn|dscp = 2"
  "conn|propsals = aes256-sha256-modp2048"
  "conn|encap = maybe"
  "conn|local_ts = 100.64.1.0/24"
  "conn|send_cert = sometimes"
  "conn|local_port = 0x1194"
  "conn|reauth_time = 000000000000000000001h"
  "local|auth = password"
  "local|auth = eap-mschapv2"
  "local|round = one"
  "local|id = gateway-ü"
  "local|revocation = sometimes"
  "local|certs = gw.pem"
  "local|groups = admins"
  "children|stray = key"
  "child|esp_proposals = aes256gcm16, aes128-sha256-modp2048"
  "child|esp_proposals = aes999"
  "child|local_ts = 100.64.1.0/33"
  "child|local_ts = 100.64.1.1-100.64.1.9, dynamic, 100.64.1.0/24[tcp/443]"
  "child|local_ts = 100.64.1.0/24[tcp/https]"
  "child|local_ts = 100.64.1.0/24[no-such-proto/1]"
  "child|local_ts = 100.64.1.0/24[udp/70000]"
  "child|local_ts = 100.64.1.0/24[udp/1000-2000]"
  "child|start_action = trap|start"
  "child|start_action = begin"
  "child|dpd_action = restart"
  "child|dpd_action = reboot"
  "child|mode = tunel"
  "child|life_time = 1y"
  "child|rekey_bytes = 1G"
  "child|rekey_bytes = 1T"
  "child|mark_in = 0x10/0xff"
  "child|mark_in = %nope"
  "child|tfc_padding = mtu"
  "child|tfc_padding = big"
  "child|replay_window = abc"
  "child|copy_dscp = maybe"
  "child|close_action = none"
  "child|hw_offload = auto"
  "child|inactivity = 5m"
  "child|proposals = aes256-sha256-modp2048"
  "section|foo {\n      k = v\n    }"
  "section|local-2 {\n      auth = psk\n      cert1 {\n        slot = 1\n      }\n    }"
)

# conn NAME LEVEL LINE -> the connection's text
conn() {
  local name=$1 level=$2 line=$3 at
  at() { [ "$level" = "$1" ] && printf '%s%b\n' "$2" "$line"; }
  printf '  %s {\n    remote_addrs = 198.51.100.2\n' "$name"
  at conn "    "
  at section "    "
  printf '    local {\n      auth = psk\n      id = gw@sensors\n'
  at local "      "
  printf '    }\n    remote {\n      auth = psk\n      id = az-gw\n    }\n    children {\n'
  at children "      "
  printf '      net {\n        local_ts = 100.64.1.0/24\n        remote_ts = 100.64.2.0/24\n'
  at child "        "
  printf '      }\n    }\n  }\n'
}
SECRET='secrets {\n  ike-bad {\n    id-1 = gw-\xc3\xbc\n    secret = a-psk\n  }\n  ike-ok {\n    id-1 = gw@sensors\n    secret = a-psk\n  }\n}\n'

# -n on each case alone: NEG[i] = 0 (accepted) or 1 (refused)
declare -A NEG
tunneld_write_conf gw "$D/swanctl.conf"
for i in "${!CASES[@]}"; do
  IFS='|' read -r level line <<<"${CASES[$i]}"
  { echo "connections {"; conn "c$i" "$level" "${CASES[$i]#*|}"; echo "}"; } > "$D/swanctl.conf"
  timeout -s KILL 20 "$TUNNELD" -n -f "$D/gw/tunneld.conf" >"$D/cases/$i.out" 2>&1
  NEG[$i]=$?
done
printf "connections {\n}\n$SECRET" > "$D/swanctl.conf"
timeout -s KILL 20 "$TUNNELD" -n -f "$D/gw/tunneld.conf" >"$D/cases/secret.out" 2>&1
NSEC=$?

# one tunneld with all of them
{
  echo "connections {"
  for i in "${!CASES[@]}"; do
    IFS='|' read -r level line <<<"${CASES[$i]}"
    conn "c$i" "$level" "${CASES[$i]#*|}"
  done
  echo "}"
  printf "$SECRET"
} > "$D/swanctl.conf"
tunneld_start gw
LOGF=$D/gw/tunneld.log
check "tunneld loads the file (a summary line)" wait_for 30 "summary" \
  grep -q "connections loaded, .* rejected" "$LOGF"

for i in "${!CASES[@]}"; do
  what="c$i (${CASES[$i]//\\n/ })"
  reason=$(sed -n "s/.*connection 'c$i' from [^ ]* rejected: //p" "$LOGF" | head -1)
  if [ -n "$reason" ]; then
    check "$what: charon rejects it, -n refuses it (exit ${NEG[$i]})" [ "${NEG[$i]}" = 1 ]
    check "$what: -n quotes charon's reason '$reason'" grep -qF "(charon: \"$reason\")" "$D/cases/$i.out"
  else
    check "$what: charon loads it" grep -q "loaded connection 'c$i'" "$LOGF"
    check "$what: -n accepts it (exit ${NEG[$i]})" [ "${NEG[$i]}" = 0 ]
  fi
done
# a few whose outcome is known, so that the comparison above cannot pass by
# both sides accepting (or refusing) everything
check "charon rejects the unknown proposal" grep -qF "connection 'c0' from $D/swanctl.conf:2 rejected: invalid value for: proposals, config discarded" "$LOGF"
check "-n names the key and libstrongswan's reason" grep -qF "connections.c0.proposals: 'no-such-algorithm' is not valid: algorithm 'no' not recognized" "$D/cases/0.out"
check "charon loads the valid proposals" grep -q "loaded connection 'c1'" "$LOGF"
for i in "${!CASES[@]}"; do [ "${CASES[$i]}" = "children|stray = key" ] && STRAY=$i; done
check "-n warns about the key charon ignores under children" \
  grep -qF "warning: $D/swanctl.conf:2: connections.c$STRAY.children.stray: charon ignores keys directly under children" "$D/cases/$STRAY.out"
check "-n says what it checked and what not" grep -qF "not checked: certificates" "$D/cases/1.out"
# the secret with an identity that is not printable ASCII
check "charon rejects the secret with the bad identity" grep -qF "secret 'secrets.ike-bad' rejected: parsing shared key owners failed" "$LOGF"
check "-n refuses it too (exit $NSEC)" [ "$NSEC" = 1 ]
check "-n quotes charon's reason" grep -qF "(charon: \"parsing shared key owners failed\")" "$D/cases/secret.out"
check "tunneld stops cleanly" tunneld_stop gw
finish
