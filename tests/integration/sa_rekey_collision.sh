#!/usr/bin/env bash
# Rekey collisions from both ends at once, CHILD and IKE, while the VPN is the
# site's only path and a ping flow (100 a second) crosses it. Each round
# holds the IKE requests on UDP 4500 at both ends (ESP still flows) until both
# ends have sent theirs, then the responses until both ends have answered the
# other's request: each end sees the other's request while its own is
# pending, so both detect the collision; rounds go on until tunneld has both
# won and lost (charon's nonces decide). Through every outcome the SA row
# follows the CHILD_SA charon has INSTALLED, the path never goes unusable
# (tunneld's log, and tunnelctl -j routes sampled every 0.1 s) and no
# datagram is lost.
#
#   sa_rekey_collision.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-sarkcol}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/sa_lib.sh"

MIN_ROUNDS=${MIN_ROUNDS:-6}  # rounds of each kind, more until both outcomes were seen
MAX_ROUNDS=${MAX_ROUNDS:-20}

azure_netns gw az
# the flow: echo requests from the sensors' address, counted behind the peer
# (ping counts what it sent, also what a blackhole refused)
nsx az nft -f - <<NFT
table inet cnt {
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr 100.64.1.1 ip daddr 100.64.2.1 icmp type echo-request counter
  }
}
NFT

azure_gateway_conf "$T_DIR/peer.conf" rekey-collision-test
azure_site_conf "$T_DIR/swanctl.conf" rekey-collision-test
# short retransmits at both ends: a held request is resent within 0.5 s
charon_peer_start az "$T_DIR/peer.conf" "retransmit_timeout = 0.5" "retransmit_base = 1.2" \
  "retransmit_tries = 6"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "retransmit_timeout = 0.5" "retransmit_base = 1.2" \
  "retransmit_tries = 6"
cat >> "$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  filelog {
    main {
      chd = 2
    }
  }
  routes {
    sites {
      azure {
        prefixes = 100.64.2.0/24
        paths {
          vpn {
            dev = ipsec0
            priority = 20
            child = azure.sensors
          }
        }
      }
    }
  }
}
CONF
tunneld_start gw
swait 30 "tunnel up" child_is gw azure sensors up || die "the tunnel did not come up"
check "VPN path usable once the CHILD_SA is up" swait 5 "vpn usable" path_usable gw azure vpn yes
check "a ping crosses the tunnel" nsx gw ping -c 1 -W 2 -I 100.64.1.1 100.64.2.1
LOG="$T_DIR/gw/tunneld.log"
unusable_before=$(grep -c "path 'vpn' unusable" "$LOG")

# tunnelctl's view of the path, sampled until the rounds are over
sampler() {
  while [ ! -e "$T_DIR/rounds-done" ]; do
    if path_usable gw azure vpn yes; then echo usable; else echo "unusable $(date +%T.%N)"; fi
    sleep 0.1
  done
}
sampler > "$T_DIR/samples.txt" 2>&1 &
T_PIDS+=("$!")
SAMPLER_PID=$!

arrived0=$(nft_count az cnt)
spawn "$T_DIR/ping.txt" ip netns exec "$TEST-gw" ping -i 0.01 -W 1 -I 100.64.1.1 100.64.2.1
PING_PID=$LAST_PID

# settled -> each end has one IKE_SA established and one CHILD_SA installed
# (those replaced may linger a few seconds), and the row agrees with charon
settled() {
  [ "$(charon_ikes gw | grep -c ' ESTABLISHED$')" = 1 ] &&
    [ "$(peer_swanctl az --list-sas 2>/dev/null | grep -c 'INSTALLED')" = 1 ] &&
    [ "$(peer_swanctl az --list-sas 2>/dev/null | grep -c 'ESTABLISHED')" = 1 ] &&
    row_tells_truth gw azure sensors && ike_is gw azure up
}

# collide KIND -> one round: both ends rekey KIND (child|ike) at once. Their
# requests are held until both were sent, then their responses until both
# ends answered the other's request: each end sees the other's request while
# its own is pending, so both detect the collision.
collide() {
  local kind=$1 ns p1 p2
  for ns in gw az; do hold_ike $ns req; hold_ike $ns resp; done
  if [ "$kind" = child ]; then
    tunneld_swanctl gw --rekey --child sensors >/dev/null 2>&1 & p1=$!
    peer_swanctl az --rekey --child vnet >/dev/null 2>&1 & p2=$!
  else
    tunneld_swanctl gw --rekey --ike azure >/dev/null 2>&1 & p1=$!
    peer_swanctl az --rekey --ike azure-gw >/dev/null 2>&1 & p2=$!
  fi
  wait "$p1" "$p2"
  swait 10 "both ends sent their rekey request" both_held req || true
  for ns in gw az; do release_ike $ns req; done
  swait 10 "both ends answered the other's request" both_held resp || true
  for ns in gw az; do release_ike $ns resp; done
}
both_held() { [ "$(nft_count gw "hold$1")" -gt 0 ] && [ "$(nft_count az "hold$1")" -gt 0 ]; }
both_outcomes() { [ "$WON" -gt 0 ] && [ "$LOST" -gt 0 ]; }

bad_rows=0 bad_paths=0
# rounds KIND WON_RE LOST_RE -> collisions of KIND until both outcomes seen
rounds() {
  local kind=$1 won_re=$2 lost_re=$3 r won lost
  for r in $(seq "$MAX_ROUNDS"); do
    collide "$kind"
    if ! swait 20 "settled after $kind round $r" settled; then
      bad_rows=$((bad_rows + 1))
      log "$kind round $r: charon has $(charon_ikes gw | tr '\n' ';') $(charon_children gw | tr '\n' ';')" \
        "the row says IKE $(sa_ike gw azure unique_id) $(sa_ike gw azure state)," \
        "CHILD $(sa_child gw azure sensors unique_id) $(sa_child gw azure sensors state);" \
        "the peer has $(peer_swanctl az --list-sas 2>/dev/null | grep -E 'ESTABLISHED|INSTALLED' | tr -s ' \n' ' ')"
    fi
    path_usable gw azure vpn yes || bad_paths=$((bad_paths + 1))
    won=$(grep -c "$won_re" "$LOG")
    lost=$(grep -c "$lost_re" "$LOG")
    log "$kind round $r: collisions won $won, lost $lost (tunneld's side)"
    if [ "$r" -ge "$MIN_ROUNDS" ] && [ "$won" -gt 0 ] && [ "$lost" -gt 0 ]; then
      break
    fi
  done
  ROUNDS=$r WON=$won LOST=$lost
}

rounds child "CHILD_SA rekey collision won" \
  "CHILD_SA rekey collision lost\|rekey/delete collision, deleting redundant"
check "CHILD_SA rekey collisions happened, won and lost ($WON won, $LOST lost in $ROUNDS rounds)" \
  both_outcomes
child_rounds=$ROUNDS
# (a collision the peer did not notice ends with the peer's SA: lost too)
rounds ike "IKE_SA rekey collision won" \
  "IKE_SA rekey collision lost\|peer did not notice IKE_SA rekey collision"
check "IKE_SA rekey collisions happened, won and lost ($WON won, $LOST lost in $ROUNDS rounds)" \
  both_outcomes

log "tunneld's own corrections: $(grep -c 'carries the traffic' "$LOG") moves to the SA that" \
  "carries traffic, $(grep -c 'the row follows charon' "$LOG") fixes by the reconciliation"
touch "$T_DIR/rounds-done"
wait "$SAMPLER_PID"
samples=$(wc -l < "$T_DIR/samples.txt")
no_bad_sample() { [ "$samples" -gt 10 ] && ! grep -q unusable "$T_DIR/samples.txt"; }
check "tunnelctl -j routes said usable in each of $samples samples during the rounds" no_bad_sample
check "after every round the row is up and follows the CHILD_SA charon has INSTALLED" [ "$bad_rows" = 0 ]
check "tunnelctl -j routes: the VPN path usable after every round" [ "$bad_paths" = 0 ]
check "the VPN path never went unusable (tunneld's log)" \
  [ "$(grep -c "path 'vpn' unusable" "$LOG")" = "$unusable_before" ]
check "CHILD_SA rekeys counted once per round ($(sa_child gw azure sensors rekeys) for $child_rounds)" \
  [ "$(sa_child gw azure sensors rekeys)" = "$child_rounds" ]
check "IKE rekeys counted once per round ($(sa_ike gw azure rekeys) for $ROUNDS)" \
  [ "$(sa_ike gw azure rekeys)" = "$ROUNDS" ]
check "no false last_down on the IKE row" [ "$(sa_ike gw azure last_down)" = None ]
check "no false last_down on the CHILD row" [ "$(sa_child gw azure sensors last_down)" = None ]

kill -INT "$PING_PID"
wait "$PING_PID"
# the counters stop moving once the last datagram has arrived
stable() {
  local a b
  a=$(nft_count az cnt); sleep 0.3; b=$(nft_count az cnt)
  [ "$a" = "$b" ]
}
swait 5 "flow drained" stable
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T_DIR/ping.txt")
got=$(($(nft_count az cnt) - arrived0))
log "flow: $sent datagrams sent, $got arrived behind the peer; ping: $(tail -2 "$T_DIR/ping.txt" | head -1)"
no_loss() { [ "$sent" -gt 1000 ] && [ "$sent" = "$got" ]; }
check "no datagram of the flow was lost ($((sent - got)) of $sent)" no_loss
check "tunneld stops cleanly" tunneld_stop gw
finish
