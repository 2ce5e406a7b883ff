#!/usr/bin/env bash
# The VPN peers' addresses are read from remote_addrs the way charon reads
# them, whatever their spelling: 198.51.100.02 and 0xc6.0x33.0x64.2 (the
# resolver's literal forms, which charon uses), 198.51.100.2/32 (a subnet),
# 198.51.100.2-198.51.100.2 (a range), ::ffff:198.51.100.2 (IPv4-mapped).
# tunneld -n refuses a site prefix that overlaps any of them, naming the
# entry as written and what it stands for; DNS names and %any are warnings
# (they cannot be checked). At start every peer address, subnet and range
# becomes throw routes in table 1160 (ranges as CIDR blocks), so a lookup
# for a peer never resolves through tunneld's table.
#
#   routes_peers.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtpeers}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
veth_pair gw eth0 198.51.100.1/24 er eth1 198.51.100.9/24
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24

# swanctl NAME REMOTE_ADDRS -> $T_DIR/NAME.swanctl (peers never answer here)
swanctl() {
  cat >"$T_DIR/$1.swanctl" <<CONF
connections {
  azure {
    remote_addrs = $2
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      sensors {
        remote_ts = 100.64.2.0/24
      }
    }
  }
}
CONF
}
# conf NAME PREFIXES -> $T_DIR/NAME/tunneld.conf routing one site over er0
conf() {
  tunneld_write_conf "$1" "$T_DIR/$1.swanctl"
  cat >>"$T_DIR/$1/tunneld.conf" <<CONF
tunneld {
  routes {
    sites {
      west {
        prefixes = $2
        paths {
          er {
            dev = er0
            gateway4 = 192.0.2.2
          }
        }
      }
    }
  }
}
CONF
}
check_n() {
  ASAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 \
    ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.out" 2>&1
  echo $? >"$T_DIR/$1.rc"
}
# refused NAME PATTERN: exit 1, the line names the settings file and matches
refused() {
  [ "$(cat "$T_DIR/$1.rc")" = 1 ] && grep -qF "$T_DIR/$1/tunneld.conf: " "$T_DIR/$1.out" &&
    grep -qF -- "$2" "$T_DIR/$1.out" || { log "$1: exit $(cat "$T_DIR/$1.rc"): $(cat "$T_DIR/$1.out")"; return 1; }
}
n=0
# peer ENTRY PREFIXES PATTERN: -n refuses the site
peer_refused() {
  n=$((n + 1))
  swanctl "p$n" "$1"
  conf "p$n" "$2"
  check_n "p$n"
  check "remote_addrs = $1 inside prefixes $2: -n refuses" refused "p$n" "$3"
}
peer_refused 198.51.100.02 "100.64.2.0/24, 198.51.100.0/25" \
  "tunneld.routes.sites.west.prefixes: prefix 198.51.100.0/25 contains 198.51.100.2, the remote address '198.51.100.02' of connection 'azure' as charon reads it"
peer_refused 0xc6.0x33.0x64.2 198.51.100.0/25 \
  "prefix 198.51.100.0/25 contains 198.51.100.2, the remote address '0xc6.0x33.0x64.2' of connection 'azure'"
peer_refused 3325256706 198.51.100.0/25 "contains 198.51.100.2, the remote address '3325256706'"
peer_refused 198.51.100.2/32 198.51.100.0/25 \
  "prefix 198.51.100.0/25 overlaps the remote addresses '198.51.100.2/32' of connection 'azure' (198.51.100.2 to 198.51.100.2)"
peer_refused 198.51.100.2-198.51.100.2 198.51.100.0/25 \
  "overlaps the remote addresses '198.51.100.2-198.51.100.2' of connection 'azure' (198.51.100.2 to 198.51.100.2)"
peer_refused "198.51.100.120 - 198.51.100.130" 198.51.100.128/25 \
  "prefix 198.51.100.128/25 overlaps the remote addresses '198.51.100.120 - 198.51.100.130'"
peer_refused 198.51.100.0/24 198.51.100.128/26 \
  "prefix 198.51.100.128/26 overlaps the remote addresses '198.51.100.0/24' of connection 'azure' (198.51.100.0 to 198.51.100.255)"
peer_refused ::ffff:198.51.100.2 198.51.100.0/25 \
  "prefix 198.51.100.0/25 contains 198.51.100.2, the remote address '::ffff:198.51.100.2'"
peer_refused "peer.example, 2001:db8:aa::0002" "100.64.2.0/24, 2001:db8:aa::/64" \
  "prefix 2001:db8:aa::/64 contains 2001:db8:aa::2, the remote address '2001:db8:aa::0002'"

# what cannot be checked is a warning, not a refusal
swanctl dns "peer.example, %any"
conf dns 198.51.100.0/25
check_n dns
check "a DNS name passes -n" test "$(cat "$T_DIR/dns.rc")" = 0
check "with a warning naming the connection and the name" grep -qF \
  "warning: tunneld.routes: connection 'azure': remote address 'peer.example' is a DNS name" "$T_DIR/dns.out"
check "and one for %any" grep -qF "remote address '%any' accepts any peer" "$T_DIR/dns.out"

# at start: a throw route for everything the peers may use
swanctl gw "198.51.100.02, 203.0.113.0/28, 203.0.113.20-203.0.113.23, 203.0.113.33-203.0.113.34, ::ffff:192.0.2.7, peer.example"
conf gw 100.64.2.0/24
tunneld_start gw
throws() { nsx gw ip route show table 1160 type throw | awk '{print $2}' | sort | tr '\n' ' '; }
want="192.0.2.7 198.51.100.2 203.0.113.0/28 203.0.113.20/30 203.0.113.33 203.0.113.34 "
has_throws() { [ "$(throws)" = "$want" ]; }
check "throw routes for the peer spelled 198.51.100.02, a subnet, ranges (CIDR blocks), an IPv4-mapped address" \
  wait_for 10 "throw routes" has_throws
check "the IPv4-mapped address is also thrown as IPv6" \
  sh -c "ip -n $TEST-gw -6 route show table 1160 type throw | grep -q '^throw ::ffff:192.0.2.7 '"
via_main() { nsx gw ip route get 198.51.100.2 | grep -q 'dev eth0'; }
check "the peer's address resolves through the main table" via_main
check "the DNS name is logged as a warning" grep -qF "remote address 'peer.example' is a DNS name" "$T_DIR/gw/tunneld.log"
check "tunneld stops cleanly" tunneld_stop gw
finish
