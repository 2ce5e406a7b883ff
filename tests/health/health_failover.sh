#!/usr/bin/env bash
# An ExpressRoute path whose link stays up while its far side is gone: BIRD 2
# is the Azure-side BFD speaker (100 ms x 3); nftables on the far side drops
# every IP packet (ARP still answers, so link and neighbour look fine). The
# BFD session times out (diag 1) and tunneld moves the site to its next path
# (bk, no probes) in about the detection time; when the far side is back the
# site stays on bk until ER has been good for min_good (3 s), then returns.
# Each step is checked on tunnelctl -j paths and on the kernel's route.
#
#   health_failover.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hfail}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
command -v bird >/dev/null || die "bird (Debian bird2) is not installed"

health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2

cat >"$T_DIR/bird.conf" <<CONF
router id 192.0.2.2;
protocol device { }
protocol bfd {
  interface "eth0" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
  neighbor 192.0.2.1 dev "eth0" local 192.0.2.2;
}
CONF
spawn "$T_DIR/bird.log" ip netns exec "$TEST-er" bird -f -c "$T_DIR/bird.conf" \
  -s "$T_DIR/bird.ctl" -P "$T_DIR/bird.pid"
wait_for 10 "BIRD's control socket" test -S "$T_DIR/bird.ctl" || die "BIRD did not start"

health_swanctl "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        er {
          type = expressroute
          provider = test-exchange
          dev = er0
          gateway4 = 192.0.2.2
          priority = 10
          min_good = 3s
          bfd {
            remote = 192.0.2.2
            min_tx = 100ms
            min_rx = 100ms
            multiplier = 3
          }
        }
        bk {
          type = expressroute
          dev = bk0
          gateway4 = 198.51.100.2
          priority = 20
        }
      }
    }
  }
}
CONF
tunneld_start gw

check "BFD up against BIRD (tunnelctl -j paths)" wait_for 15 "bfd up" p_is gw azure er bfd.state up
check "negotiated detection time 300 ms" p_is gw azure er bfd.detect_time_us 300000
check "er up and active" wait_for 5 "er active" p_is gw azure er active true
check "bk not active" p_is gw azure bk active false
check "the kernel routes the site via er0" wait_for 5 "route er0" route_dev er0
check "a ping reaches the host behind er" ping_to er

# the far side goes: every IP packet dropped there (ARP still answered)
nsx er nft -f - <<NFT || die "nft drop in er"
table inet gone {
  chain input { type filter hook input priority -10; policy accept; meta protocol { ip, ip6 } drop; }
  chain output { type filter hook output priority -10; policy accept; meta protocol { ip, ip6 } drop; }
}
NFT
t0=$(now_ms)
check "site moved to bk (route via bk0)" wait_for 5 "route bk0" route_dev bk0
t1=$(now_ms)
log "failover seen $((t1 - t0)) ms after the drop (detect time 300 ms; includes polling every 100 ms)"
check "er down because BFD went down with diag 1" \
  p_has gw azure er reason "BFD down, diag 1 control detection time expired"
check "er's BFD session reports diag 1" p_is gw azure er bfd.local_diag 1
check "er state down" p_is gw azure er state down
check "bk active" p_is gw azure bk active true
tctl gw -j paths >"$T_DIR/paths.json"
check "the decision is in the site's events" \
  p_has gw azure site: decisions "er -> bk"
check "a ping reaches the host behind bk" ping_to bk
check "the link of er0 stayed up (carrier true)" p_is gw azure er carrier true

# the far side is back: BFD comes up, but the site waits for min_good
nsx er nft delete table inet gone
check "BFD up again" wait_for 10 "bfd up again" p_is gw azure er bfd.state up
# until er's good time is served (good_remaining_ms > 0) the site stays on bk
good_time_on bk0 60
check "while er serves its min good time ($SAMPLES samples): the site stays on bk" \
  test "$SAMPLES" -gt 5 -a "$EARLY" = 0
check "after min_good the site returns to er (route via er0)" wait_for 5 "route er0" route_dev er0
check "er active again" p_is gw azure er active true
check "a ping reaches the host behind er again" ping_to er

check "tunneld stops cleanly" tunneld_stop gw
finish
