#!/usr/bin/env bash
# A multihop BFD path (RFC 5883) against BIRD 2, which sends multihop BFD
# with TTL 64 (FRR sends 255). With the default bfd.min_ttl (any TTL) the
# session comes up; after a SIGHUP with min_ttl = 254 it does not: BIRD's
# packets are dropped by our TTL check, counted in tunnelctl -j paths
# (bfd.rx_dropped) and logged once with the TTL seen; with min_ttl = 64
# (BIRD's TTL exactly) it is up again. tunneld -n refuses min_ttl on a
# single-hop session (which always requires 255) and outside 1..255.
#
#   health_multihop.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hmhop}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
command -v bird >/dev/null || die "bird (Debian bird2) is not installed"

health_gw
health_far er er0 192.0.2.1 192.0.2.2
# BIRD on the far side: a multihop session from its loopback (the Azure host
# 100.64.2.1) to the gateway's 192.0.2.1
mkdir -p "$T_DIR/bird"
cat >"$T_DIR/bird/bird.conf" <<CONF
router id 192.0.2.2;
protocol device { }
protocol bfd {
  multihop { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
  neighbor 192.0.2.1 local 100.64.2.1 multihop on;
}
CONF
spawn "$T_DIR/bird/bird.log" ip netns exec "$TEST-er" bird -f -c "$T_DIR/bird/bird.conf" \
  -s "$T_DIR/bird/bird.ctl" -P "$T_DIR/bird/bird.pid"
wait_for 10 "BIRD's control socket" test -S "$T_DIR/bird/bird.ctl" || die "BIRD did not start"
bird_state() {
  nsx er birdc -s "$T_DIR/bird/bird.ctl" show bfd sessions | awk '$1 == "192.0.2.1" { print $3 }'
}
bird_is() { [ "$(bird_state)" = "$1" ]; }

health_swanctl "$T_DIR/swanctl.conf"
# write_conf NAME [bfd lines...] -> settings NAME/tunneld.conf, the path er
# with multihop BFD to 100.64.2.1 plus the given lines in its bfd section
write_conf() {
  local name=$1 kv; shift
  tunneld_write_conf "$name" "$T_DIR/swanctl.conf"
  {
    printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n'
    printf '        er {\n          type = expressroute\n          dev = er0\n          gateway4 = 192.0.2.2\n'
    printf '          bfd {\n            remote = 100.64.2.1\n            local = 192.0.2.1\n'
    printf '            min_tx = 100ms\n            min_rx = 100ms\n            multiplier = 3\n'
    for kv in "$@"; do printf '            %s\n' "$kv"; done
    printf '          }\n        }\n      }\n    }\n  }\n}\n'
  } >>"$T_DIR/$name/tunneld.conf"
}
# refused NAME TEXT -> tunneld -n refuses NAME's settings with TEXT in its error
refused() {
  ! ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.out" 2>&1 &&
    grep -qF -- "$2" "$T_DIR/$1.out"
}

write_conf single "multihop = no" "min_ttl = 254"
check "tunneld -n refuses bfd.min_ttl on a single-hop session" \
  refused single "tunneld.sites.azure.paths.er.bfd.min_ttl: only a multihop session"
write_conf zero "multihop = yes" "min_ttl = 0"
check "tunneld -n refuses bfd.min_ttl = 0" refused zero "bfd.min_ttl"
write_conf big "multihop = yes" "min_ttl = 256"
check "tunneld -n refuses bfd.min_ttl = 256" refused big "bfd.min_ttl"

write_conf gw "multihop = yes"
tunneld_start gw
dropped() { pq gw azure er bfd.rx_dropped; }
dropped_over() { [ "$(dropped)" -gt "$1" ]; }

# 1: the default accepts BIRD's TTL 64
check "multihop BFD up against BIRD with the default min_ttl" \
  wait_for 15 "bfd up" p_is gw azure er bfd.state up
check "BIRD's session Up" wait_for 5 "bird up" bird_is Up
check "the paths document says multihop" p_is gw azure er bfd.multihop true
check "the paths document says min_ttl 1 (any)" p_is gw azure er bfd.min_ttl 1
check "no packet of BIRD's dropped" p_is gw azure er bfd.rx_dropped 0
check "er carries the site" wait_for 5 "er active" p_is gw azure er active true

# 2: min_ttl 254 (GTSM as for a peer sending 255): BIRD's TTL 64 is refused
write_conf gw "multihop = yes" "min_ttl = 254"
check "reload with min_ttl = 254 done" hup
check "the paths document shows min_ttl 254" wait_for 5 "min_ttl 254" p_is gw azure er bfd.min_ttl 254
bird_not_up() { ! bird_is Up; }
check "BIRD's session leaves Up" wait_for 10 "bird not up" bird_not_up
base=$(dropped)
check "BIRD's packets are dropped and counted (bfd.rx_dropped grows)" \
  wait_for 10 "drops" dropped_over $((base + 2))
check "the session stays down" p_is gw azure er bfd.state down
check "the log names the TTL seen and min_ttl" \
  grep -q "dropped a packet with TTL 64, below the configured min_ttl 254" "$T_DIR/gw/tunneld.log"
text_says_dropped() { tctl gw paths | grep -q 'packets dropped by our checks (a TTL below 254'; }
check "tunnelctl paths (text) says packets were dropped" text_says_dropped

# 3: min_ttl 64, BIRD's own TTL: accepted again
write_conf gw "multihop = yes" "min_ttl = 64"
check "reload with min_ttl = 64 done" hup
check "up again with min_ttl = 64" wait_for 15 "bfd up" p_is gw azure er bfd.state up
check "BIRD's session Up again" wait_for 5 "bird up" bird_is Up

check "tunneld stops cleanly" tunneld_stop gw
finish
