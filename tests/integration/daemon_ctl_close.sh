#!/usr/bin/env bash
# Issue 7 item 1: a client of the control socket that closes early, at any
# point of the exchange, must never stop tunneld. The SA table is large (a
# tunnel up to the stock peer plus many loaded connections) so that the reply
# spans many writes; clients close before sending, in the middle of the
# command, after the command before reading, and after part of the reply.
# tunneld keeps its pid, its SAs (unique ids) and keeps answering.
#
#   daemon_ctl_close.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dctlcl}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

EXTRA=${EXTRA_CONNS:-1500}
azure_netns gw az
azure_gateway_conf "$T_DIR/peer.conf" ctl-close-test
azure_site_conf "$T_DIR/swanctl.conf" ctl-close-test
# many connections that never come up: rows of the table, nothing more
python3 - "$EXTRA" >> "$T_DIR/swanctl.conf" <<'PY'
import sys
print("connections {")
for i in range(int(sys.argv[1])):
    print(f"  filler-{i:05d} {{\n    remote_addrs = 203.0.113.{i % 250 + 1}\n"
          f"    children {{\n      net {{\n        start_action = none\n      }}\n    }}\n  }}")
print("}")
PY
charon_peer_start az "$T_DIR/peer.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw
wait_for $(scaled 30) "tunnel up" child_is gw azure sensors up || die "tunnel did not come up"
rows() { tctl gw -j sa | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sas"]))'; }
rows_at_least() { [ "$(rows 2>/dev/null)" -ge "$1" ] 2>/dev/null; }
wait_for $(scaled 60) "all rows" rows_at_least $((EXTRA + 1)) ||
  die "the table has $(rows) rows, expected $((EXTRA + 1))"
# the SAs' identity: IKE and CHILD unique ids of the tunnel
ids() { echo "$(sa_ike gw azure unique_id)/$(sa_child gw azure sensors unique_id)"; }
ids0=$(ids)
log "tunnel up, SA unique ids $ids0; JSON reply $(tctl gw -j sa | wc -c) bytes"

# each way of leaving early, several times; the clients report what they did
python3 - "$T_DIR/gw/ctl" > "$T_DIR/clients.log" 2>&1 <<'PY'
import socket, sys, time
path = sys.argv[1]
def client():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s
done = {}
for rnd in range(8):
    # before sending anything
    client().close()
    # in the middle of the command
    s = client(); s.send(b"s"); s.close()
    # after the command, before reading
    s = client(); s.send(b"sa\n"); s.close()
    # after the command, reading side shut down first
    s = client(); s.send(b"sa\n"); s.shutdown(socket.SHUT_RD); s.close()
    # after part of the reply (the reply spans many writes)
    s = client(); s.send(b"sa\n")
    got = s.recv(1000)
    assert got, "no reply at all"
    s.close()
    # after most of the reply, with the server blocked on a full buffer
    s = client(); s.send(b"sa\n"); time.sleep(0.05)
    n = 0
    while n < 150000:
        b = s.recv(65536)
        if not b:
            break
        n += len(b)
    s.close()
    done[rnd] = n
print("rounds", len(done), "bytes read before closing", sorted(done.values()))
PY
log "$(cat "$T_DIR/clients.log")"
alive "$TUNNELD_PID_gw" || { daemon_exit gw 1; log "tunneld is gone: exit status $EXIT_STATUS (128+13: SIGPIPE)"; }
check "the clients ran every round" grep -q "^rounds 8 " "$T_DIR/clients.log"
check "tunneld is still running (same pid)" alive "$TUNNELD_PID_gw"
check "tunnelctl still answers" wait_for $(scaled 10) "tunnelctl sa" tctl gw sa
check "the SAs are the same (unique ids $ids0)" [ "$(ids)" = "$ids0" ]
check "the tunnel is still up" child_is gw azure sensors up
check "tunneld stops cleanly" tunneld_stop gw
finish
