#!/usr/bin/env bash
# Runs INSIDE the test VM (Debian 12's 6.1 kernel), as /job/run.sh of
# vm_dataplane (tests/vm/vm_dataplane.sh prepares /job):
#   /job/bin/{tunneld,tunnelctl}  the build tree's binaries, unchanged (their
#                                 RUNPATH names the strongSwan prefix, linked
#                                 at the same absolute path by /job/prefix)
#   /job/repo                     tests/lib, tests/integration/tunneld_env.sh,
#                                 tests/health/health_lib.sh, conf/presets
# The production XFRM data plane end to end:
#   netns sen (sensor 100.64.1.2) -- gw (tunneld, dataplane = xfrm, xfrm-azure
#   if_id 42) == IKEv2/ESP (kernel, AES-256-GCM, no UDP encapsulation) == az
#   (stock Debian charon, no kernel-libipsec; 100.64.2.1); gw -- er (an
#   ExpressRoute-like veth path to another 100.64.2.1, echo-probed)
# Checks: the interface and its if_id; the SA's algorithm and no encap; the
# site routed over xfrm-azure by the route engine; the sensor's ping crosses;
# the kernel's SA counters grow and tunnelctl -j sa shows them; no TUN; the
# VPN failing moves the site to er, and back once it is good again; with
# xfrm-azure's MTU at 1400 and no ICMP fragmentation-needed, a 1 MB TCP
# transfer completes with tunneld's MSS clamp and stalls with mss = 0.
# Optional (MEASURE=1 in /job/env): measure.sh afterwards. Last,
# tests/preflight/preflight_xfrm.sh (the MSS clamp and rp_filter preflight on
# an XFRM interface), which the host kernel cannot run.
set -u
[ -f /job/env ] && . /job/env
TEST=vdp
REPO=/job/repo
TUNNELD=/job/bin/tunneld
TUNNELCTL=/job/bin/tunnelctl
export TEST_TIME_SCALE=${TEST_TIME_SCALE:-2}
ln -sfn /job/prefix "$SS_PREFIX" 2>/dev/null || { mkdir -p "$(dirname "$SS_PREFIX")" && ln -sfn /job/prefix "$SS_PREFIX"; }
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
# the stock peer uses the kernel's ESP: no kernel-libipsec
STOCK_PLUGINS="random nonce aes sha1 sha2 hmac kdf openssl pem pkcs1 x509 revocation constraints pubkey curve25519 kernel-netlink socket-default vici updown"
PSK=vm-dataplane-test-psk
log "kernel $(uname -r)"

netns_new gw
netns_new az
netns_new sen
veth_pair gw eth0 198.51.100.1/24 az eth0 198.51.100.2/24
veth_pair gw sen0 100.64.1.1/24 sen eth0 100.64.1.2/24
nsx sen ip route add default via 100.64.1.1
nsx gw sysctl -qw net.ipv4.ip_forward=1
nsx az ip addr add 100.64.2.1/32 dev lo
health_far er er0 192.0.2.1 192.0.2.2
# az counts what reaches 100.64.2.1 there too
nsx az nft -f - <<NFT || die "nftables in az"
table inet cnt {
  counter in { }
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 100.64.2.1 icmp type echo-request counter name in
  }
}
NFT

install -m 600 /dev/null "$T_DIR/peer.conf"
cat > "$T_DIR/peer.conf" <<CONF
connections {
  azure-gw {
    version = 2
    local_addrs = 198.51.100.2
    proposals = aes256-sha256-modp1024
    mobike = no
    local {
      auth = psk
      id = 198.51.100.2
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      vnet {
        local_ts = 100.64.2.0/24
        remote_ts = 100.64.1.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
}
$(azure_secret ike-gw "$PSK")
CONF
install -m 600 /dev/null "$T_DIR/swanctl.conf"
cat > "$T_DIR/swanctl.conf" <<CONF
include $REPO/conf/presets/*.conf
connections {
  azure : presets.azure {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    dpd_delay = 2s
    local {
      id = 198.51.100.1
    }
    remote {
      id = 198.51.100.2
    }
    children {
      sensors : presets.azure-child {
        local_ts = 100.64.1.0/24
        remote_ts = 100.64.2.0/24
        if_id_in = 42
        if_id_out = 42
      }
    }
  }
}
$(azure_secret ike-azure "$PSK")
CONF
tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm" "retransmit_timeout = 1" \
  "retransmit_tries = 2" "retransmit_base = 1.5"
sed -i '/dataplane = libipsec/d' "$T_DIR/gw/tunneld.conf"
cat >> "$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  xfrm {
    interfaces {
      xfrm-azure {
        if_id = 42
        dev = eth0
      }
    }
  }
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        vpn {
          type = vpn
          child = azure.sensors
          dev = xfrm-azure
          priority = 10
          min_good = 2s
        }
$(er_path er er0 192.0.2.2 20 | sed '/bfd {/,/^          }/d')
      }
    }
  }
}
CONF
# the ER path is probed by ICMP echo (no BIRD in the image)
sed -i 's/^          priority = 20$/          priority = 20\n          echo {\n            type = icmp\n            target = 192.0.2.2\n            interval = 200ms\n            timeout = 500ms\n            window = 5\n          }/' "$T_DIR/gw/tunneld.conf"
cp "$T_DIR/gw/tunneld.conf" /job/out/tunneld.conf

charon_peer_start az "$T_DIR/peer.conf"
t0=$(now_ms)
tunneld_start gw
check "xfrm-azure exists with if_id 42 (0x2a)" sh -c "ip -n $TEST-gw -d link show xfrm-azure | grep -q 'if_id 0x2a'"
# must "what" cmd... -> like check, but the rest cannot run without it: stop
must() {
  check "$@" && return 0
  log "gateway's log tail:"; tail -25 "$T_DIR/gw/tunneld.log"
  log "peer's log tail:"; tail -15 "$T_DIR/az/charon.log"
  finish
  exit 1
}
must "CHILD_SA azure.sensors up" wait_for 30 "child up" child_is gw azure sensors up
log "CHILD_SA up $(($(now_ms) - t0)) ms after tunneld started"
# (the keys are never written out: masked, their length kept)
nsx gw ip -s xfrm state | sed -E 's/(aead|enc|auth|auth-trunc) ([^ ]+) 0x[0-9a-f]+/\1 \2 0x<key>/' > /job/out/xfrm_state.txt
check "kernel ESP with AES-256-GCM in both SAs (rfc4106(gcm(aes)), 288-bit key: 256 + 32-bit salt, 128-bit ICV)" \
  sh -c "[ \$(grep -cF 'aead rfc4106(gcm(aes)) 0x<key> (288 bits) 128' /job/out/xfrm_state.txt) = 2 ]"
check "the SAs carry if_id 0x2a" grep -q 'if_id 0x2a' /job/out/xfrm_state.txt
check "no UDP encapsulation (plain ESP)" sh -c "! grep -q encap /job/out/xfrm_state.txt"
must "the route engine routes the site over xfrm-azure (table 1160)" \
  wait_for 20 "route xfrm-azure" route_dev xfrm-azure
nsx gw ip route show table 1160 > /job/out/table1160.txt
nsx gw ip nexthop show >> /job/out/table1160.txt

# sensor_ping_at NAME -> 3 pings from the sensor answered, all counted at NAME
sensor_ping_at() {
  local before
  before=$(hits "$1")
  nsx sen ping -c 3 -i 0.2 -W 3 100.64.2.1 > /dev/null || return 1
  [ "$(hits "$1")" -ge $((before + 3)) ]
}
out_bytes() { nsx gw ip -s xfrm state | awk '/src 198.51.100.1 dst 198.51.100.2/ {f=1} f && /lifetime current:/ {getline; print $1; exit}' | tr -d 'a-z(),'; }
sa_bytes() { sa_child gw azure sensors bytes_out; }
# the packets must go through the XFRM interface itself (its TX counter),
# not merely be encrypted by some policy on the way out of eth0
if_tx() { nsx gw ip -s -j link show xfrm-azure | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["packets"])'; }
x0=$(if_tx)
b0=$(out_bytes)
s0=$(sa_bytes)
h0=$(hits az)
check "a sensor's ping crosses the tunnel (sen -> 100.64.2.1 at az)" \
  nsx sen ping -c 5 -i 0.2 -W 3 100.64.2.1
h1=$(hits az)
check "az counted the sensor's echo requests ($h0 -> $h1)" [ "$h1" -ge $((h0 + 5)) ]
x1=$(if_tx)
check "the sensor's packets left through xfrm-azure (its TX packets $x0 -> $x1)" [ "${x1:-0}" -ge $((${x0:-0} + 5)) ]
b1=$(out_bytes)
log "kernel SA bytes out: $b0 -> $b1"
check "ip -s xfrm state: the outbound SA's bytes grew ($b0 -> $b1)" [ "${b1:-0}" -gt "${b0:-0}" ]
grows() { local v; v=$(sa_bytes) && [ "$v" -gt "${s0:-0}" ] && [ "$v" -le "$(out_bytes)" ]; }
check "tunnelctl -j sa shows the SA's bytes_out grow, up to the kernel's ($s0 -> $(sa_bytes))" \
  wait_for 10 "sa bytes" grows
tctl gw -j sa > /job/out/sa.json
check "no TUN module loaded (kernel-libipsec unused)" sh -c "! grep -qw '^tun' /proc/modules"
check "no ipsec0 TUN device in gw" sh -c "! ip -n $TEST-gw link show ipsec0 2>/dev/null"

# the VPN fails: az drops IKE, NAT-T and ESP
nsx az nft -f - <<NFT || die "nft drop in az"
table inet vdrop {
  chain input {
    type filter hook input priority -10; policy accept;
    udp dport { 500, 4500 } drop
    meta l4proto esp drop
  }
}
NFT
t0=$(now_ms)
child_not_up() { ! child_is gw azure sensors up; }
check "the CHILD_SA goes down (DPD)" wait_for 60 "child down" child_not_up
check "the site moves to the ExpressRoute path (route via er0)" wait_for 30 "route er0" route_dev er0
log "on er0 $(($(now_ms) - t0)) ms after the VPN was cut"
check "a sensor's ping now crosses er0 (counted at er)" sensor_ping_at er
tctl gw -j paths > /job/out/paths_er.json
nsx az nft delete table inet vdrop
t0=$(now_ms)
check "the CHILD_SA comes back" wait_for 90 "child up again" child_is gw azure sensors up
check "the site moves back to the VPN path after min_good" wait_for 30 "route xfrm-azure" route_dev xfrm-azure
log "back on xfrm-azure $(($(now_ms) - t0)) ms after the VPN was restored"
check "a sensor's ping crosses the tunnel again (counted at az)" sensor_ping_at az

# a restart (an upgrade's) with the site on the VPN path: tests/vm/restart_gap.sh
. "$REPO/tests/vm/restart_gap.sh"
rg_run

# MSS: Azure's tunnel carries 1400-byte packets (MSS 1350). xfrm-azure gets
# MTU 1400 and gw drops the ICMP "fragmentation needed" it would send back,
# so PMTUD cannot rescue a connection: a 1 MB TCP transfer sen -> az must
# complete with tunneld's clamp (default mss 1350: 1390-byte packets), and
# stall with mss = 0 (no clamp: az's SYN-ACK offers more, the sensor's full
# segments exceed 1400 and vanish) - the negative control.
mtu0=$(nsx gw cat /sys/class/net/xfrm-azure/mtu)
nsx gw ip link set xfrm-azure mtu 1400
nsx gw nft -f - <<NFT || die "nft noptb in gw"
table inet noptb {
  counter ptb { }
  chain output {
    type filter hook output priority 0; policy accept;
    icmp type destination-unreachable icmp code frag-needed counter name ptb drop
  }
}
NFT
spawn "$T_DIR/tcpsink.log" ip netns exec "$TEST-az" python3 -c '
import socket, threading
def serve(c):
    c.settimeout(30); n = 0
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            n += len(d)
        c.sendall(str(n).encode())
    except OSError: pass
    c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("100.64.2.1", 5301)); s.listen(4)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()'
sink=$LAST_PID
sink_ready() { nsx az ss -ltn | grep -q '100.64.2.1:5301'; }
wait_for 10 "tcp sink" sink_ready || fail "the TCP sink in az did not start"
ptb_drops() { nsx gw nft list counter inet noptb ptb | awk '/packets/ {print $2}'; }
tcp_stalls() { ! tcp_1mb 8; }
# tcp_1mb SECONDS -> sends 1 MB sen -> 100.64.2.1 and waits for az's count
tcp_1mb() {
  [ "$(timeout "$1" ip netns exec "$TEST-sen" python3 -c '
import socket
c = socket.create_connection(("100.64.2.1", 5301), timeout=60)
c.sendall(b"x" * 1048576); c.shutdown(socket.SHUT_WR)
print(c.recv(64).decode())' 2>/dev/null)" = 1048576 ]
}
check "the clamp table inet tunneld_mss is installed (mss 1350 on xfrm-azure)" \
  sh -c "ip netns exec $TEST-gw nft list table inet tunneld_mss | grep -q 'oifname \"xfrm-azure\".*maxseg size set 1350'"
t0=$(now_ms)
check "a 1 MB TCP transfer sen -> az through xfrm-azure (MTU 1400, no PTB) completes with the clamp" tcp_1mb 15
log "1 MB with the clamp: $(($(now_ms) - t0)) ms"
cp "$T_DIR/gw/tunneld.conf" "$T_DIR/tunneld-mss.conf"
sed -i 's/^        dev = eth0$/        dev = eth0\n        mss = 0/' "$T_DIR/gw/tunneld.conf"
kill -HUP "$TUNNELD_PID_gw"
no_clamp() { ! nsx gw nft list table inet tunneld_mss; }
check "mss = 0 + SIGHUP removes the clamp table" wait_for 10 "no clamp" no_clamp
p0=$(ptb_drops)
check "negative control: without the clamp the same transfer stalls (times out in 8 s)" tcp_stalls
p1=$(ptb_drops)
check "gw dropped the fragmentation-needed it sent the sensor meanwhile ($p0 -> $p1)" [ "${p1:-0}" -gt "${p0:-0}" ]
cp "$T_DIR/tunneld-mss.conf" "$T_DIR/gw/tunneld.conf"
kill -HUP "$TUNNELD_PID_gw"
clamp_back() { nsx gw nft list table inet tunneld_mss; }
check "SIGHUP with the default mss installs the clamp again" wait_for 10 "clamp" clamp_back
check "the transfer completes again with the clamp" tcp_1mb 15
kill -TERM "$sink"
wait "$sink" 2>/dev/null
nsx gw nft delete table inet noptb
nsx gw ip link set xfrm-azure mtu "$mtu0"

if [ "${MEASURE:-0}" = 1 ] && [ -f /job/repo/tests/vm/measure.sh ]; then
  . /job/repo/tests/vm/measure.sh
fi
check "tunneld stops cleanly" tunneld_stop gw
cp "$T_DIR/gw/tunneld.log" /job/out/tunneld.log 2>/dev/null
cp "$T_DIR/az/charon.log" /job/out/peer.log 2>/dev/null
# the preflight suite that needs XFRM interfaces (host kernel: exit 77), on
# this kernel, with the same binaries; its own namespaces (vpxf-*)
env TEST=vpxf bash "$REPO/tests/preflight/preflight_xfrm.sh" "$TUNNELD" "$TUNNELCTL" "$REPO" > /job/out/preflight_xfrm.log 2>&1
pxf=$?
check "tests/preflight/preflight_xfrm.sh on 6.1 (rc $pxf: $(grep -E "^vpxf: [0-9]+ passed" /job/out/preflight_xfrm.log))" [ "$pxf" = 0 ]
finish
