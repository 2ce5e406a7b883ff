#!/usr/bin/env bash
# Bad input: wrong PSK, proposal mismatch, unreachable peer, a connection the
# daemon rejects, a malformed swanctl file at start and on reload. tunneld
# keeps running, logs one clear reason per case naming the connection, and
# the SA table says so.
#
#   bad_input.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-badin}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new az
veth_pair gw eth0 198.51.100.1/24 az eth0 198.51.100.2/24

cat > "$T_DIR/peer.conf" <<CONF
connections {
  p-psk {
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = azure-gw
    }
    remote {
      auth = psk
      id = wrongpsk@sensors
    }
    children {
      c {
        local_ts = 100.64.2.0/24
        remote_ts = 100.64.1.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-psk {
    id-1 = wrongpsk@sensors
    secret = the-right-secret
  }
}
CONF

# the first version of tunneld's file is malformed (a brace too many, line 4);
# the files tunneld reads hold secrets: 0600, as a secrets file must be
install -m 600 /dev/null "$T_DIR/swanctl.conf"
install -m 600 /dev/null "$T_DIR/swanctl-good.conf"
cat > "$T_DIR/swanctl.conf" <<CONF
connections {
  broken {
    remote_addrs = 198.51.100.2
  }}}
}
CONF

cat > "$T_DIR/swanctl-good.conf" <<CONF
connections {
  wrongpsk {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    keyingtries = 1
    local {
      auth = psk
      id = wrongpsk@sensors
    }
    remote {
      auth = psk
      id = azure-gw
    }
    children {
      net {
        local_ts = 100.64.1.0/24
        remote_ts = 100.64.2.0/24
        esp_proposals = aes256gcm16
        start_action = start
      }
    }
  }
  mismatch {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes128-sha512-ecp521
    keyingtries = 1
    local {
      auth = psk
      id = mismatch@sensors
    }
    remote {
      auth = psk
    }
    children {
      net {
        start_action = start
      }
    }
  }
  unreachable {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.99
    keyingtries = 1
    local {
      auth = psk
      id = unreach@sensors
    }
    remote {
      auth = psk
    }
    children {
      net {
        start_action = start
      }
    }
  }
  rejected {
    remote_addrs = 198.51.100.2
    proposals = aes999-sha1-modp1024
    children {
      net {
      }
    }
  }
}
secrets {
  ike-wrong {
    id-1 = wrongpsk@sensors
    secret = not-the-right-secret
  }
  ike-other {
    id-1 = mismatch@sensors
    id-2 = unreach@sensors
    secret = some-secret
  }
}
CONF

charon_peer_start az "$T_DIR/peer.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf" "retransmit_timeout = 1" \
  "retransmit_tries = 1" "retransmit_base = 1.5"

check "tunneld -n reports the malformed file with file:line" \
  sh -c "! '$TUNNELD' -n -f '$T_DIR/gw/tunneld.conf' 2>'$T_DIR/check.txt'"
cat "$T_DIR/check.txt"
check "the -n message names the file and line 4" grep -qE "swanctl.conf:4: syntax error" "$T_DIR/check.txt"

tunneld_start gw
check "tunneld starts and keeps running with a malformed swanctl file" our_child "$TUNNELD_PID_gw"
check "the log gives the parse error with file:line" \
  wait_for 10 "parse error logged" grep -qE "connections not \(re\)loaded.*swanctl.conf:[0-9]+" "$T_DIR/gw/tunneld.log"
check "the table is empty" sh -c "'$TUNNELCTL' -s '$T_DIR/gw/ctl' sa | grep -q 'no connections loaded'"

# fix the file and reload: every connection fails in its own way
cp "$T_DIR/swanctl-good.conf" "$T_DIR/swanctl.conf"
kill -HUP "$TUNNELD_PID_gw"
check "wrong PSK: auth-failed" wait_for 30 "wrongpsk down" ike_is gw wrongpsk down auth-failed
check "proposal mismatch: proposal-mismatch" wait_for 30 "mismatch down" ike_is gw mismatch down proposal-mismatch
check "unreachable peer: unreachable" wait_for 30 "unreachable down" ike_is gw unreachable down unreachable
check "rejected connection: config-error in the table" ike_is gw rejected config-error config
log "rejected: $(sa_ike gw rejected last_down.detail)"
for c in wrongpsk:auth-failed mismatch:proposal-mismatch unreachable:unreachable; do
  check "one log line names connection '${c%%:*}' and its reason ${c#*:}" \
    grep -qE "tunneld: connection '${c%%:*}': ${c#*:}( |$)" "$T_DIR/gw/tunneld.log"
done
check "the log says which connection was rejected" grep -q "connection 'rejected' from .* rejected" "$T_DIR/gw/tunneld.log"
check "secrets are never logged" sh -c "test -s '$T_DIR/gw/tunneld.log' && test -e '$T_DIR/gw/stderr.log' &&
  ! grep -q 'not-the-right-secret\|some-secret' '$T_DIR/gw/tunneld.log' '$T_DIR/gw/stderr.log'"
"$TUNNELCTL" -s "$T_DIR/gw/ctl" sa

# a malformed file on reload keeps the previous connections
echo "connections { oops" > "$T_DIR/swanctl.conf"
kill -HUP "$TUNNELD_PID_gw"
check "a malformed file on reload is reported (end of file)" \
  wait_for 10 "reload error" grep -q "connections not (re)loaded.*swanctl.conf: syntax error.*end of the file" "$T_DIR/gw/tunneld.log"
check "and the previous connections are kept (SA table)" ike_is gw wrongpsk down
tunneld_swanctl gw --list-conns >"$T_DIR/list-conns.txt" 2>&1
check "and the previous connections are kept (charon, over tunneld's vici)" \
  sh -c "grep -q '^wrongpsk: IKEv' '$T_DIR/list-conns.txt' && grep -q '^mismatch: IKEv' '$T_DIR/list-conns.txt' &&
  grep -q '^unreachable: IKEv' '$T_DIR/list-conns.txt'"
# Clients that connect and say nothing must not take the control socket
# away. They stay connected until tunneld closes them (at most 30 s: they
# never close first, which is another test's subject), and the test proves
# they are connected (each accepted by tunneld or waiting in its listen
# backlog) before tunnelctl asks.
NSILENT=3
spawn "$T_DIR/silent.log" python3 -c '
import select, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    socks.append(s)
print("connected", len(socks), flush=True)
deadline = time.monotonic() + 30
while socks and time.monotonic() < deadline:
    ready, _, _ = select.select(socks, [], [], 0.5)
    for s in ready:
        if not s.recv(4096):
            socks.remove(s)
print("closed by tunneld:", n - len(socks), flush=True)
' "$T_DIR/gw/ctl" "$NSILENT"
SILENT_PID=$LAST_PID
# ctl_clients -> connections tunneld accepted on its control socket plus those
# waiting in its listen backlog. (A unix socket's accepted end lives in the
# connecting process's network namespace, here the root one; the listening
# socket, with its backlog as Recv-Q, in tunneld's.)
ctl_clients() {
  { ss -xanH; nsx gw ss -xanH; } | awk -v p="$T_DIR/gw/ctl" '
    $5 == p && $2 == "ESTAB" { n++ }
    $5 == p && $2 == "LISTEN" { n += $3 }
    END { print n + 0 }'
}
silent_connected() {
  grep -q "^connected $NSILENT" "$T_DIR/silent.log" && [ "$(ctl_clients)" -ge "$NSILENT" ]
}
check "$NSILENT silent clients connected to the control socket" \
  wait_for 5 "silent clients" silent_connected
log "tunneld's side of its control socket: $(ctl_clients) connection(s)"
check "silent clients do not block tunnelctl (answers within 5 s)" \
  sh -c "timeout 5 '$TUNNELCTL' -s '$T_DIR/gw/ctl' sa >'$T_DIR/silent-sa.txt' && grep -q '^wrongpsk ' '$T_DIR/silent-sa.txt'"
check "the silent clients were still connected when tunnelctl answered" our_child "$SILENT_PID"

check "tunneld is still running" our_child "$TUNNELD_PID_gw"
check "tunneld stops cleanly" tunneld_stop gw
finish
