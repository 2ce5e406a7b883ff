#!/usr/bin/env bash
# Connection names that do not fit the SA table (64 characters or more),
# loaded over tunneld's vici socket with Debian's swanctl (not through
# tunneld's own loader, which refuses them): 20 rekeys of such a connection
# add no row and log one line naming it and the limit; a 63-character name
# is tracked as usual.
#
#   sa_long_names.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-salong}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/sa_lib.sh"

REKEYS=20
azure_netns gw az
# three protected pairs, one per connection: 100.64.{1,3,5}.0/24 -- 100.64.{2,4,6}.0/24
for n in 3 5; do nsx gw ip addr add 100.64.$n.1/32 dev lo; done
for n in 4 6; do nsx az ip addr add 100.64.$n.1/32 dev lo; done
peer_child() {
  printf '      net%s {\n        local_ts = 100.64.%s.0/24\n        remote_ts = 100.64.%s.0/24\n        esp_proposals = aes256gcm16\n      }\n' \
    "$1" "$(($1 + 1))" "$1"
}
cat > "$T_DIR/peer.conf" <<CONF
connections {
  azure-gw {
    version = 2
    local_addrs = 198.51.100.2
    proposals = aes256-sha1-modp1024
    encap = yes
    local {
      auth = psk
      id = 198.51.100.2
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
$(peer_child 1)
$(peer_child 3)
$(peer_child 5)
    }
  }
}
$(azure_secret ike-gw long-names-test)
CONF
charon_peer_start az "$T_DIR/peer.conf"

# tunneld starts with no connection of its own, only the secret
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
}
$(azure_secret ike-azure long-names-test)
CONF
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw
LOG="$T_DIR/gw/tunneld.log"

name_of() { printf 'site-%s' "$(head -c "$(($1 - 5))" /dev/zero | tr '\0' 'x')"; }
FITS=$(name_of 63)
LONG=$(name_of 64)
LONGER=$(name_of 100)
# conn NAME N -> a connection protecting 100.64.N.0/24 -- 100.64.N+1.0/24 (its
# own dpd_delay: charon reuses an IKE_SA whose config equals the one asked for)
conn() {
  cat <<CONF
  $1 {
    version = 2
    dpd_delay = $((30 + $2))s
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha1-modp1024
    encap = yes
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
        local_ts = 100.64.$2.0/24
        remote_ts = 100.64.$(($2 + 1)).0/24
        esp_proposals = aes256gcm16
      }
    }
  }
CONF
}
printf 'connections {\n%s\n%s\n%s\n}\n' "$(conn "$FITS" 1)" "$(conn "$LONG" 3)" "$(conn "$LONGER" 5)" \
  > "$T_DIR/vici.conf"
tunneld_swanctl gw --load-conns --file "$T_DIR/vici.conf" > "$T_DIR/load.txt" 2>&1
check "swanctl loads the three connections into tunneld" \
  grep -q "successfully loaded 3 connections" "$T_DIR/load.txt"
rows() { tctl gw -j sa | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sas"]))'; }

# 63 characters: tracked
tunneld_swanctl gw --initiate --ike "$FITS" --child sensors --timeout 20 > "$T_DIR/init1.txt" 2>&1
check "a 63-character name is tracked: its row follows the CHILD_SA charon has INSTALLED" \
  swait 10 "63-char row" row_tells_truth gw "$FITS" sensors
tunneld_swanctl gw --terminate --ike "$FITS" --timeout 10 > "$T_DIR/term1.txt" 2>&1
swait 10 "63-char down" child_is gw "$FITS" sensors down
rows0=$(rows)
log "rows before the long names: $rows0"

# 64 and 200 characters: not tracked, however many events
for name in "$LONG" "$LONGER"; do
  tunneld_swanctl gw --initiate --ike "$name" --child sensors --timeout 20 > "$T_DIR/init.txt" 2>&1
done
installed_n() { [ "$(charon_children gw | awk '$4 == "INSTALLED"' | wc -l)" = 2 ]; }
check "charon has the two long-named CHILD_SAs installed" swait 10 "installed" installed_n
uids() { charon_children gw | awk '$4 == "INSTALLED" {print $3}' | sort | tr '\n' ' '; }
done_rekeys=0
# (swanctl --rekey --child rekeys the first CHILD_SA of that name it finds)
for i in $(seq "$REKEYS"); do
  before=$(uids)
  tunneld_swanctl gw --rekey --child sensors > "$T_DIR/rekey.txt" 2>&1
  changed() { [ "$(uids)" != "$before" ] && installed_n; }
  swait 5 "rekey $i" changed || break
  done_rekeys=$((done_rekeys + 1))
done
check "charon rekeyed the long-named CHILD_SAs $REKEYS times ($done_rekeys)" [ "$done_rekeys" = "$REKEYS" ]
check "the SA table did not grow ($rows0 rows before, $(rows) after)" [ "$(rows)" = "$rows0" ]
# a long name cut to 63 characters would be the same as $FITS
one_row() {
  tctl gw -j sa | python3 -c '
import json, sys
names = [s["name"] for s in json.load(sys.stdin)["sas"]]
sys.exit(0 if names == [sys.argv[1]] else 1)' "$FITS"
}
check "no row carries a cut name: one row, the 63-character connection's" one_row
check "the 63-character connection's row was not touched (still down)" \
  child_is gw "$FITS" sensors down deleted-locally
check "one log line per long name, naming it whole and the limit" sh -c \
  "[ \$(grep -c \"connection '$LONG': a name of 64 characters is not tracked in the SA table (names are limited to 63\" '$LOG') = 1 ] &&
   [ \$(grep -c \"connection '$LONGER': a name of 100 characters is not tracked\" '$LOG') = 1 ]"
check "tunneld stops cleanly" tunneld_stop gw
finish
