#!/usr/bin/env bash
# Benchmark (not a test): time to establish 1 and N tunnels (IKE_SA + CHILD_SA
# each) to a stock strongSwan peer, tunneld vs a plain charon of the same
# pinned strongSwan build started the same way, in one run; and resident
# memory of each daemon idle and with N SAs. Prints ratios tunneld/charon.
#
#   bench/tunnels/establish.sh BUILD_DIR [N=50] [ROUNDS=3]
set -u
BUILD=$(cd "${1:?usage: establish.sh BUILD_DIR [N] [ROUNDS]}" && pwd)
N=${2:-50} ROUNDS=${3:-3}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TEST=bnest
TUNNELD=$BUILD/tunneld/tunneld TUNNELCTL=$BUILD/tunnelctl/tunnelctl
PRIV_CHARON=$BUILD/strongswan/prefix/libexec/ipsec/charon
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new az
veth_pair gw eth0 198.51.100.1/24 az eth0 198.51.100.2/24
# an address inside each side's selectors, so both daemons install their routes
nsx az ip addr add 100.64.2.1/32 dev lo
for i in $(seq 1 "$N"); do nsx gw ip addr add "100.64.1.$i/32" dev lo; done

cat > "$T_DIR/peer.conf" <<CONF
connections {
  sensors {
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = azure-gw
    }
    remote {
      auth = psk
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
  ike-any {
    secret = bench-secret
  }
}
CONF
# N connections, one IKE_SA and one CHILD_SA each, not started on load
{
  echo "connections {"
  for i in $(seq 1 "$N"); do
    cat <<CONF
  s$i {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    encap = yes
    local {
      auth = psk
      id = sensor-$i
    }
    remote {
      auth = psk
      id = azure-gw
    }
    children {
      c$i {
        local_ts = 100.64.1.$i/32
        remote_ts = 100.64.2.0/24
        esp_proposals = aes256gcm16
        start_action = none
      }
    }
  }
CONF
  done
  echo "}"
  printf 'secrets {\n  ike-any {\n    secret = bench-secret\n  }\n}\n'
} > "$T_DIR/gw.conf"

# all sensors come from one address: lift the per-IP half-open limits (default 5)
charon_peer_start az "$T_DIR/peer.conf" "block_threshold = 1000" "cookie_threshold = 1000"
PLUGINS="random nonce openssl pem pkcs1 x509 revocation constraints pubkey kdf curve25519 kernel-libipsec kernel-netlink socket-default vici updown"

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
installed() { /usr/sbin/swanctl --list-sas --uri "unix://$1" 2>/dev/null | grep -c "INSTALLED"; }

# start_daemon KIND -> sets DPID, VICI
start_daemon() {
  local kind=$1 dir="$T_DIR/$1"
  mkdir -p "$dir"
  if [ "$kind" = tunneld ]; then
    tunneld_write_conf tunneld "$T_DIR/gw.conf" "load = $PLUGINS"
    sed -i '/filelog {/,/^  }$/d' "$dir/tunneld.conf"
    tunneld_start tunneld gw
    eval "DPID=\$TUNNELD_PID_tunneld"
    VICI=$dir/vici
  else
    rm -f "$dir/vici"
    printf 'charon {\n  load = %s\n  plugins {\n    vici {\n      socket = unix://%s/vici\n    }\n  }\n}\n' \
      "$PLUGINS" "$dir" > "$dir/strongswan.conf"
    spawn "$dir/stderr.log" env STRONGSWAN_CONF="$dir/strongswan.conf" \
      ip netns exec "$TEST-gw" unshare -m sh -c 'mount -t tmpfs none /run && exec "$0"' "$PRIV_CHARON"
    DPID=$LAST_PID
    VICI=$dir/vici
    wait_for 30 "charon vici" test -S "$VICI" || die "charon did not start"
    /usr/sbin/swanctl --load-all --file "$T_DIR/gw.conf" --uri "unix://$VICI" >/dev/null 2>&1 ||
      die "loading connections into charon failed"
  fi
}
stop_daemon() {
  kill -TERM "$DPID"; for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
  # the peer forgets the old SAs (new ones replace them by id anyway)
  peer_swanctl az --terminate --ike sensors --force --timeout 1 >/dev/null 2>&1 || true
}

# establish COUNT -> seconds from the first `swanctl --initiate` until COUNT
# CHILD_SAs are installed. One tunnel: a blocking initiate (returns when the
# CHILD_SA is up). Many: non-blocking initiates (a blocking vici initiate holds a
# daemon worker thread, and 50 of them would starve the 16 workers), then the
# SA list is polled every 20 ms.
establish() {
  local count=$1 t0 t1 up deadline
  t0=$(date +%s.%N)
  if [ "$count" = 1 ]; then
    /usr/sbin/swanctl --initiate --child c1 --ike s1 --uri "unix://$VICI" >/dev/null 2>&1
  else
    for i in $(seq 1 "$count"); do
      /usr/sbin/swanctl --initiate --child "c$i" --ike "s$i" --timeout -1 \
        --uri "unix://$VICI" >/dev/null 2>&1 &
    done
    wait
    deadline=$((SECONDS + 60))
    while [ "$(installed "$VICI")" -lt "$count" ] && [ $SECONDS -lt $deadline ]; do sleep 0.02; done
  fi
  t1=$(date +%s.%N)
  up=$(installed "$VICI")
  [ "$up" -ge "$count" ] || die "only $up of $count CHILD_SAs installed"
  python3 -c "print(round($t1 - $t0, 3))"
}

declare -A T1 TN RSS0 RSSN
for kind in charon tunneld; do T1[$kind]=""; TN[$kind]=""; done
for r in $(seq 1 "$ROUNDS"); do
  for kind in charon tunneld; do
    start_daemon "$kind"
    sleep 1
    RSS0[$kind]=$(rss_kb "$DPID")
    t1=$(establish 1)
    /usr/sbin/swanctl --terminate --ike s1 --uri "unix://$VICI" --timeout 5 >/dev/null 2>&1
    tn=$(establish "$N")
    sleep 1.5
    RSSN[$kind]=$(rss_kb "$DPID")
    T1[$kind]="${T1[$kind]} $t1"; TN[$kind]="${TN[$kind]} $tn"
    log "round $r $kind: 1 tunnel ${t1}s, $N tunnels ${tn}s, RSS idle ${RSS0[$kind]} kB, with $N SAs ${RSSN[$kind]} kB"
    stop_daemon
  done
done
med() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
c1=$(med ${T1[charon]}) u1=$(med ${T1[tunneld]}) cn=$(med ${TN[charon]}) un=$(med ${TN[tunneld]})
echo
echo "establish (median of $ROUNDS rounds)   charon      tunneld     ratio tunneld/charon (goal <= 1.05)"
printf "1 tunnel                          %8.3fs   %8.3fs   %.3f\n" "$c1" "$u1" "$(python3 -c "print($u1/$c1)")"
printf "%-3s tunnels                       %8.3fs   %8.3fs   %.3f\n" "$N" "$cn" "$un" "$(python3 -c "print($un/$cn)")"
printf "RSS idle (last round)             %8s kB  %8s kB  %.3f\n" "${RSS0[charon]}" "${RSS0[tunneld]}" "$(python3 -c "print(${RSS0[tunneld]}/${RSS0[charon]})")"
printf "RSS with %-3s SAs                  %8s kB  %8s kB  %.3f\n" "$N" "${RSSN[charon]}" "${RSSN[tunneld]}" "$(python3 -c "print(${RSSN[tunneld]}/${RSSN[charon]})")"
T_CHECKS=1
