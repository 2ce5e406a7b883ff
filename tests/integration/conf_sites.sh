#!/usr/bin/env bash
# tunneld.sites (conf/site_model) checked by `tunneld -n` end to end: a site
# with an ExpressRoute path (BFD, echo, SLA, dampening) and a VPN path is
# accepted; each refusal is one line naming the file, the full key
# (tunneld.sites.<site>.paths.<path>.<key>) and what was expected; no crash
# with '%' or binary bytes (also under ASan/UBSan). Having both tunneld.sites
# and the deprecated tunneld.routes.sites is refused; the engine options stay
# in tunneld.routes. The route_conf checks that need the connections file
# (child bindings) name the new location too.
#
#   conf_sites.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-cfsites}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24

cat >"$T_DIR/swanctl.conf" <<CONF
connections {
  azure {
    remote_addrs = 198.51.100.2
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

ER='            type = expressroute
            routing = exchange-provider
            provider = Equinix AMS
            dev = er0
            gateway4 = 192.0.2.2
            priority = 10
            hold_down = 300ms
            bfd {
              remote = 192.0.2.2
              min_tx = 50ms
              min_rx = 50ms
              multiplier = 3
            }
            echo {
              type = udp
              target = 192.0.2.2
              interval = 500ms
            }
            sla {
              loss = 5%
              rtt = 150ms
            }
            dampening {
              half_life = 30s
            }'
VPN='            child = azure.sensors
            dev = ipsec0
            priority = 20'
# conf NAME ER_BODY [VPN_BODY] [SITE_NAME] [EXTRA_TUNNELD_LINES]
conf() {
  tunneld_write_conf "$1" "$T_DIR/swanctl.conf"
  printf 'tunneld {\n%s\n  sites {\n    %s {\n      prefixes = 100.64.2.0/24\n      when_all_down = fail-closed\n      paths {\n        er {\n%s\n        }\n        vpn {\n%s\n        }\n      }\n    }\n  }\n}\n' \
    "${5:-}" "${4:-west}" "$2" "${3:-$VPN}" >>"$T_DIR/$1/tunneld.conf"
}
check_n() {
  ASAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 \
    ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.out" 2>&1
  echo $? >"$T_DIR/$1.rc"
}
# refused NAME TEXT: exit 1, no sanitizer report, one line that names the
# file and contains TEXT
refused() {
  local out="$T_DIR/$1.out"
  [ "$(cat "$T_DIR/$1.rc")" = 1 ] || { log "$1: exit $(cat "$T_DIR/$1.rc"): $(head -c 600 "$out")"; return 1; }
  grep -q 'Sanitizer\|runtime error' "$out" && { log "$1: sanitizer report"; return 1; }
  [ "$(grep -vc '^warning: ' "$out")" = 1 ] || { log "$1: not one line: $(cat "$out")"; return 1; }
  grep -qF "$T_DIR/$1/tunneld.conf: $2" "$out" || { log "$1: got: $(cat "$out")"; return 1; }
}
# edit NAME SED_EXPR ER_BODY-> conf NAME with the ER body edited
edit() { conf "$1" "$(printf '%s\n' "$ER" | sed "$2")"; check_n "$1"; }

conf good "$ER"
check_n good
check "a site with an ExpressRoute and a VPN path passes -n" sh -c \
  "[ \$(cat '$T_DIR/good.rc') = 0 ] && grep -qF '1 routed site' '$T_DIR/good.out'"
check "no deprecation warning for tunneld.sites" sh -c "! grep -q deprecated '$T_DIR/good.out'"

P="tunneld.sites.west.paths.er"
edit mult 's/multiplier = 3/multiplier = 256/'
check "bfd.multiplier = 256 refused naming the key and range" refused mult \
  "$P.bfd.multiplier: '256' is not a number from 1 to 255"
edit mintx 's/min_tx = 50ms/min_tx = 61s/'
check "bfd.min_tx = 61s refused" refused mintx \
  "$P.bfd.min_tx: '61s' is not a duration from 1ms to 1m (expected a whole number with ms, s, m or h; a bare number is seconds)"
edit fam 's/remote = 192.0.2.2/remote = 2001:db8::2/'
check "a BFD peer of the wrong family for a gateway4 path refused" refused fam \
  "$P.bfd.remote: 2001:db8::2 is IPv6 but the path has only gateway4 (expected an IPv4 address, or gateway6 on the path too)"
edit unk 's/interval = 500ms/intervall = 500ms/'
check "an unknown echo key refused listing the valid ones" refused unk \
  "$P.echo: unknown key 'intervall' (expected one of: type, target, source, port, interval, timeout, window, size)"
edit loss 's/loss = 5%/loss = 101%/'
check "sla.loss = 101% refused" refused loss "$P.sla.loss: '101%' is not a percentage (expected 0 to 100"
edit reuse 's/half_life = 30s/reuse = 4000/'
check "dampening.reuse above suppress refused" refused reuse \
  "$P.dampening.reuse: 4000 is not below suppress 3000 (expected reuse < suppress)"
edit pct 's/provider = Equinix AMS/provider = %n%s%n/; s/gateway4 = 192.0.2.2/gateway4 = %n%s/'
check "'%n%s' in values: refused naming the key, no crash" refused pct \
  "$P.gateway4: '%n%s' is not an IPv4 address"
edit bin $'s/provider = Equinix AMS/provider = Equinix\xff/'
check "a non-ASCII byte in provider refused, shown escaped" refused bin \
  "$P.provider: 'Equinix\\xff' has a byte outside printable ASCII"
check "no raw non-ASCII byte in the message" sh -c "! LC_ALL=C grep -q '[^ -~]' '$T_DIR/bin.out'"
edit routing 's/routing = exchange-provider/routing = microsoft/'
check "an unknown ExpressRoute routing refused" refused routing \
  "$P.routing: 'microsoft' is not an ExpressRoute routing (expected customer-managed or exchange-provider)"
conf vpntype "$ER" "            type = vpn
            dev = ipsec0"
check_n vpntype
check "a vpn path without child refused" refused vpntype \
  "tunneld.sites.west.paths.vpn.child: missing (a vpn path needs child = <connection>.<child>)"
conf typo "$ER" "            child = azure.sensor
            dev = ipsec0"
check_n typo
check "a child typo (connections file) names the new location" refused typo \
  "tunneld.sites.west.paths.vpn.child: connection 'azure' has no child 'sensor' (children: sensors)"
conf sitepct "$ER" "$VPN" 'we%s%n'
check_n sitepct
check "site 'we%s%n' refused, no crash" refused sitepct \
  "tunneld.sites: site name 'we%s%n' is invalid (expected 1..63 characters of A-Z a-z 0-9 _ -"
long=$(printf 's%.0s' $(seq 64))
conf longsite "$ER" "$VPN" "$long"
check_n longsite
check "a 64-character site name refused" refused longsite "tunneld.sites: site name '$long' is invalid"
conf site63 "$ER" "$VPN" "${long:1}"
check_n site63
check "a 63-character site name accepted" test "$(cat "$T_DIR/site63.rc")" = 0
conf dev16 "$(printf '%s\n' "$ER" | sed 's/dev = er0/dev = er0123456789abcd/')"
check_n dev16
check "an interface name past 15 bytes refused (route engine rule)" refused dev16 \
  "$P.dev: 'er0123456789abcd' is not a usable interface name (expected 1 to 15 bytes"

# both locations: refused; the engine options stay in tunneld.routes
conf both "$ER" "$VPN" west "  routes {
    sites {
      east {
        prefixes = 100.64.3.0/24
      }
    }
  }"
check_n both
check "tunneld.sites and tunneld.routes.sites together refused" refused both \
  "tunneld.routes.sites: both tunneld.sites and tunneld.routes.sites are set (expected the sites in tunneld.sites only; tunneld.routes.sites is deprecated)"
conf opts "$ER" "$VPN" west "  routes {
    table = 1170
    fail_closed = yes
  }"
check_n opts
check "tunneld.routes options with tunneld.sites accepted" test "$(cat "$T_DIR/opts.rc")" = 0
conf badopt "$ER" "$VPN" west "  routes {
    table = 252
  }"
check_n badopt
check "tunneld.routes options still checked" refused badopt "tunneld.routes.table: '252' is not a routing table"
finish
