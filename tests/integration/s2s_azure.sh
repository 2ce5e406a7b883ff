#!/usr/bin/env bash
# tunneld brings up a site-to-site tunnel to Debian's stock charon standing in
# for an Azure VPN gateway (Azure preset proposals and lifetimes), IKEv2 PSK,
# ESP-in-UDP through kernel-libipsec. Checks traffic, the SA table and its
# counters, swanctl against tunneld's vici, DPD down with its reason when the
# peer's packets are dropped, and recovery when the drop is lifted.
#
#   s2s_azure.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-s2saz}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"

DPD=2          # dpd_delay on tunneld's side (s)
RT=1 RTRIES=2 RBASE=1.5   # retransmits: 1 + 1.5 + 2.25 s before giving up
DPD_BUDGET=$(python3 -c "print($DPD + sum($RT*$RBASE**i for i in range($RTRIES+1)) + 3)")

azure_netns gw az
PSK=0sc2Vuc29ycy10by1henVyZS10ZXN0LXNlY3JldA==
# the Azure side: default Azure VPN gateway policy, as responder
azure_gateway_conf "$T_DIR/peer-swanctl.conf" "$PSK"
# tunneld's side: the shipped Azure preset, dpd_delay shortened for the test
azure_site_conf "$T_DIR/swanctl.conf" "$PSK" "dpd_delay = ${DPD}s"

charon_peer_start az "$T_DIR/peer-swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "retransmit_timeout = $RT" \
  "retransmit_tries = $RTRIES" "retransmit_base = $RBASE"
tunneld_start gw

wait_for 30 "child up" child_is gw azure sensors up || {
  tctl gw sa; die "the tunnel did not come up: see $T_DIR/gw/tunneld.log"; }
check "IKE_SA azure up in the table" [ "$(sa_ike gw azure state)" = up ]
check "the table's rows follow the SAs charon has (unique ids, SPIs as swanctl --list-sas)" \
  row_is_charons gw azure sensors
# what charon negotiated, as the table names it: the stand-in gateway
# prefers its own first proposal (AES-256/SHA1/MODP_1024) and first ESP offer
# (AES-GCM-256), both among the preset's offers
charon_ike_prop() {
  echo "IKE:$(vici_sa gw azure "" encr-alg)_$(vici_sa gw azure "" encr-keysize)/$(vici_sa gw azure "" integ-alg)/$(vici_sa gw azure "" prf-alg)/$(vici_sa gw azure "" dh-group)"
}
prop=$(sa_ike gw azure proposal)
log "IKE proposal: table $prop, charon $(charon_ike_prop)"
check "the table's IKE proposal is charon's (AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024)" \
  sh -c "[ '$prop' = '$(charon_ike_prop)' ] && [ '$prop' = IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024 ]"
esp=$(sa_child gw azure sensors proposal)
log "ESP proposal: table $esp, charon $(vici_sa gw azure sensors encr-alg)_$(vici_sa gw azure sensors encr-keysize)"
check "the table's ESP proposal is charon's (AES_GCM_16_256)" \
  sh -c "[ '$esp' = 'ESP:$(vici_sa gw azure sensors encr-alg)_$(vici_sa gw azure sensors encr-keysize)/NO_EXT_SEQ' ] && [ '$esp' = ESP:AES_GCM_16_256/NO_EXT_SEQ ]"

check "ping between the protected subnets gets through" \
  nsx gw ping -c 3 -i 0.2 -W 2 -I 100.64.1.1 100.64.2.1

# the table's counters catch up with charon's after 5 more pings (84 bytes
# each way per echo, as libipsec counts them)
c_in=$(vici_sa gw azure sensors bytes-in) c_pout=$(vici_sa gw azure sensors packets-out)
check "5 more pings get through" nsx gw ping -c 5 -i 0.2 -W 2 -I 100.64.1.1 100.64.2.1
counters_caught_up() {
  [ "$(sa_child gw azure sensors bytes_in)" -ge $((c_in + 5 * 84)) ] &&
    [ "$(sa_child gw azure sensors packets_out)" -ge $((c_pout + 5)) ]
}
check "the table's CHILD_SA counters grow with the traffic (+420 B in, +5 packets out)" \
  wait_for 5 "counters catch up" counters_caught_up
log "bytes_in: charon $c_in before the pings, table $(sa_child gw azure sensors bytes_in) after"

tunneld_swanctl gw --list-sas > "$T_DIR/list-sas.txt" 2>&1
check "swanctl --list-sas on tunneld's vici lists the IKE_SA" grep -q "azure: #.*ESTABLISHED" "$T_DIR/list-sas.txt"
check "swanctl --list-sas lists the CHILD_SA installed" grep -q "sensors: #.*INSTALLED" "$T_DIR/list-sas.txt"
tunneld_swanctl gw --list-conns > "$T_DIR/list-conns.txt" 2>&1
check "swanctl --list-conns shows the preset's values" grep -q "azure: IKEv2" "$T_DIR/list-conns.txt"
tunneld_swanctl gw --stats > "$T_DIR/stats.txt" 2>&1
check "swanctl --stats answers" grep -q "IKE_SAs: 1 total" "$T_DIR/stats.txt"
tctl gw sa > "$T_DIR/table.txt"; cat "$T_DIR/table.txt"
check "tunnelctl sa prints the table" grep -q "^azure .*up" "$T_DIR/table.txt"

# --- DPD: drop everything the peer receives on IKE/NAT-T ports ---
drop_ike az s2sdrop
t0=$(date +%s.%N)
seen=""
wait_for 30 "child down by DPD" child_is gw azure sensors down dpd-timeout && seen=1
t1=$(date +%s.%N)
elapsed=$(python3 -c "print(round($t1 - $t0, 1))")
log "SA down after ${elapsed}s (budget ${DPD_BUDGET}s: dpd_delay + retransmits + 3 s)"
check "CHILD_SA goes down with reason dpd-timeout" [ -n "$seen" ]
check "within the configured DPD time" python3 -c "import sys; sys.exit(0 if $elapsed <= $DPD_BUDGET else 1)"
check "IKE_SA last_down is dpd-timeout" [ "$(sa_ike gw azure last_down.reason)" = dpd-timeout ]
check "the log names the connection and the reason" grep -q "connection 'azure'.*dpd" "$T_DIR/gw/tunneld.log"

undrop_ike az s2sdrop
check "tunnel comes back by itself when the drop is lifted" \
  wait_for 60 "child up again" child_is gw azure sensors up
check "ping gets through again" nsx gw ping -c 3 -i 0.2 -W 2 -I 100.64.1.1 100.64.2.1

# rekeys, asked through swanctl: the row follows the new SAs, counts the rekey
old_child=$(sa_child gw azure sensors unique_id)
old_ike=$(sa_ike gw azure unique_id)
tunneld_swanctl gw --rekey --child sensors > "$T_DIR/rekey-child.txt" 2>&1
child_rekeyed() { [ "$(sa_child gw azure sensors rekeys)" = 1 ] && child_is gw azure sensors up; }
check "CHILD_SA rekey: counted, still up" wait_for 10 "child rekey" child_rekeyed
check "CHILD_SA rekey: the row follows the new SA" [ "$(sa_child gw azure sensors unique_id)" != "$old_child" ]
check "CHILD_SA rekey: the new SA is the one charon has installed" row_is_charons gw azure sensors
tunneld_swanctl gw --rekey --ike azure > "$T_DIR/rekey-ike.txt" 2>&1
ike_rekeyed() { [ "$(sa_ike gw azure rekeys)" = 1 ] && ike_is gw azure up; }
check "IKE_SA rekey: counted, still up" wait_for 10 "ike rekey" ike_rekeyed
check "IKE_SA rekey: the row follows the new SA" [ "$(sa_ike gw azure unique_id)" != "$old_ike" ]
check "IKE_SA rekey: the new SA is the one charon has established" row_is_charons gw azure sensors
check "traffic still flows after the rekeys" nsx gw ping -c 2 -i 0.2 -W 2 -I 100.64.1.1 100.64.2.1

# the peer deletes the CHILD_SA, then the IKE_SA: reason deleted-by-peer,
# and close_action = start brings each back
peer_swanctl az --terminate --child vnet --force --timeout 5 > "$T_DIR/peer-term-child.txt" 2>&1
deleted_child() { [ "$(sa_child gw azure sensors last_down.reason)" = deleted-by-peer ]; }
check "CHILD_SA row says deleted-by-peer" wait_for 10 "child deleted-by-peer" deleted_child
check "and the CHILD_SA comes back (close_action = start)" wait_for 20 "child up" child_is gw azure sensors up
peer_swanctl az --terminate --ike azure-gw --force --timeout 5 > "$T_DIR/peer-term-ike.txt" 2>&1
deleted_ike() { [ "$(sa_ike gw azure last_down.reason)" = deleted-by-peer ]; }
check "peer deletes the IKE_SA: reason deleted-by-peer" wait_for 10 "ike deleted-by-peer" deleted_ike
check "and the tunnel comes back" wait_for 20 "child up" child_is gw azure sensors up
check "the rows follow charon's new SAs" wait_for 5 "rows follow charon" row_is_charons gw azure sensors

# swanctl's control commands against tunneld
tunneld_swanctl gw --terminate --ike azure > "$T_DIR/terminate.txt" 2>&1
check "swanctl --terminate: table says deleted-locally" \
  wait_for 10 "child down locally" child_is gw azure sensors down deleted-locally
tunneld_swanctl gw --initiate --child sensors --ike azure --timeout 20 > "$T_DIR/initiate.txt" 2>&1
check "swanctl --initiate brings the CHILD_SA up" wait_for 20 "child up" child_is gw azure sensors up
check "and the rows follow the SAs it made" wait_for 5 "rows follow charon" row_is_charons gw azure sensors
cat > "$T_DIR/extra.conf" <<CONF
connections {
  azure-standby {
    remote_addrs = 198.51.100.2
    children {
      standby {
        start_action = none
      }
    }
  }
}
CONF
tunneld_swanctl gw --load-all --file "$T_DIR/extra.conf" > "$T_DIR/load-all.txt" 2>&1
tunneld_swanctl gw --list-conns > "$T_DIR/list-conns2.txt" 2>&1
check "swanctl --load-all loads into tunneld" grep -q "azure-standby: IKEv" "$T_DIR/list-conns2.txt"

check "tunneld is still running" our_child "$TUNNELD_PID_gw"
check "tunneld stops cleanly on SIGTERM (no sanitizer report)" tunneld_stop gw
check "pid file removed on exit" test ! -e "$T_DIR/gw/tunneld.pid"
finish
