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
check "SA table shows CHILD_SA sensors up" child_is gw azure sensors up
check "IKE_SA azure established" [ "$(sa_ike gw azure state)" = up ]
prop=$(sa_ike gw azure proposal)
log "IKE proposal: $prop"
check "IKE proposal from the Azure preset (AES/SHA/MODP_1024)" grep -q "MODP_1024" <<<"$prop"
check "ESP proposal AES-GCM-256 (Azure's first offer)" grep -q "AES_GCM_16_256" <<<"$(sa_child gw azure sensors proposal)"

check "ping between the protected subnets gets through" \
  nsx gw ping -c 3 -i 0.2 -W 2 -I 100.64.1.1 100.64.2.1

b1=$(sa_child gw azure sensors bytes_in)
nsx gw ping -c 5 -i 0.2 -W 2 -I 100.64.1.1 100.64.2.1 >/dev/null
bytes_grew() { b2=$(sa_child gw azure sensors bytes_in); [ "$b2" -gt "$b1" ]; }
check "CHILD_SA counters grow with traffic" wait_for 5 "bytes_in grows" bytes_grew
log "bytes_in $b1 -> $(sa_child gw azure sensors bytes_in)"
check "packets_out counted" [ "$(sa_child gw azure sensors packets_out)" -gt 0 ]

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
tunneld_swanctl gw --rekey --ike azure > "$T_DIR/rekey-ike.txt" 2>&1
ike_rekeyed() { [ "$(sa_ike gw azure rekeys)" = 1 ] && ike_is gw azure up; }
check "IKE_SA rekey: counted, still up" wait_for 10 "ike rekey" ike_rekeyed
check "IKE_SA rekey: the row follows the new SA" [ "$(sa_ike gw azure unique_id)" != "$old_ike" ]
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

# swanctl's control commands against tunneld
tunneld_swanctl gw --terminate --ike azure > "$T_DIR/terminate.txt" 2>&1
check "swanctl --terminate: table says deleted-locally" \
  wait_for 10 "child down locally" child_is gw azure sensors down deleted-locally
tunneld_swanctl gw --initiate --child sensors --ike azure --timeout 20 > "$T_DIR/initiate.txt" 2>&1
check "swanctl --initiate brings the CHILD_SA up" wait_for 20 "child up" child_is gw azure sensors up
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

check "tunneld is still running" kill -0 "$TUNNELD_PID_gw"
check "tunneld stops cleanly on SIGTERM (no sanitizer report)" tunneld_stop gw
check "pid file removed on exit" test ! -e "$T_DIR/gw/tunneld.pid"
finish
