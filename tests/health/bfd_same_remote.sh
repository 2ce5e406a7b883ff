#!/usr/bin/env bash
# health_bfd_same_remote: two paths with multihop BFD to the same far host
# (100.64.2.1) through two links, each with its own `local` (without them the
# configuration check refuses the pair: the peer could not tell them apart;
# the BFD layer's own matching on the address a packet was sent to, for
# sessions without `local`, is unit_bfd_demux's). When er2 breaks one way,
# the far side's session for er2 times out and sends Down with Your
# Discriminator 0 to er2's address (RFC 5880 6.8.1). That packet must reach
# er2's session, never er's: er stays up and keeps the site. The far side is bfd_speaker. Log lines name each session (its path,
# remote and local). Root; netns named after $TEST.
#   bfd_same_remote.sh TUNNELD TUNNELCTL REPO
TEST=${TEST:-hbsame}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
SPEAKER=${BFD_SPEAKER:-$(dirname "$TUNNELD")/../health/bfd_speaker}
health_gw
netns_new far
veth_pair gw er0 192.0.2.1/24 far eth0 192.0.2.2/24
veth_pair gw er1 203.0.113.1/24 far eth1 203.0.113.2/24
nsx far ip addr add 100.64.2.1/32 dev lo
spawn "$T_DIR/peer.json" ip netns exec "$TEST-far" "$SPEAKER" -v 2 \
  remote=192.0.2.1,local=100.64.2.1,multihop,tx=100ms,rx=100ms \
  remote=203.0.113.1,local=100.64.2.1,multihop,tx=100ms,rx=100ms
health_swanctl "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
# each path names its own local address: two sessions to one remote from
# "any" address are refused by the configuration check (-n and start)
path() { # NAME DEV GW PRIO LOCAL
  printf '        %s {\n          type = expressroute\n          dev = %s\n          gateway4 = %s\n          priority = %s\n          bfd {\n            remote = 100.64.2.1\n            local = %s\n            multihop = yes\n            min_tx = 100ms\n            min_rx = 100ms\n          }\n        }\n' "$@"
}
{
  printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.3.0/24\n      paths {\n'
  path er er0 192.0.2.2 10 192.0.2.1
  path er2 er1 203.0.113.2 20 203.0.113.1
  printf '      }\n    }\n  }\n}\n'
} >>"$T_DIR/gw/tunneld.conf"
tunneld_start gw
check "er BFD up" wait_for 15 "er up" p_is gw azure er bfd.state up
check "er2 BFD up" wait_for 15 "er2 up" p_is gw azure er2 bfd.state up
check "site on er" wait_for 15 "active er" p_is gw azure site: active '["er"]'
log "discriminators: er $(pq gw azure er bfd.local_discriminator), er2 $(pq gw azure er2 bfd.local_discriminator)"
# er2 breaks one way: our packets on er1 no longer reach the far side
nsx gw nft -f - <<NFT
table inet cut {
  chain out {
    type filter hook output priority 0;
    oifname "er1" udp dport 4784 drop
  }
}
NFT
check "er2 goes down (its own failure)" wait_for 10 "er2 down" p_is gw azure er2 bfd.state down
# the peer now sends Down with Your Discriminator 0 to 203.0.113.1 once a
# second; watch er for 8 s (bounded), polling its state and the site
end=$(($(now_ms) + 8000)) seen=""
while [ "$(now_ms)" -lt $end ]; do
  st="$(pq gw azure er state) $(pq gw azure site: active | tr -d ' ')"
  case " $seen " in *" ${st// /_} "*) ;; *) seen="$seen ${st// /_}" ;; esac
done
log "er state / site active seen after er2 broke:$seen"
check "er (healthy) stays up and keeps the site after er2 broke" test "$seen" = ' up_["er"]'
log "er: state=$(pq gw azure er state) flaps=$(pq gw azure er flaps) penalty=$(pq gw azure er penalty) reason=$(pq gw azure er reason)"
# each session's state lines carry a description of its own (mark or dev)
descs() { grep -o "remote 100.64.2.1, local [^)]*): [a-z]* -> up" "$T_DIR/gw/tunneld.log" | sort -u | wc -l; }
check "log lines tell the two sessions apart" test "$(descs)" -ge 2
check "no doubled bfd prefix in the log" eval '! grep -q "bfd: bfd" "$T_DIR/gw/tunneld.log"'
finish
