#!/usr/bin/env bash
# tunneld.routes is checked strictly, by `tunneld -n` and at start, before
# anything runs: names with '%' (settings keys are printf formats: they used
# to crash), unknown keys, numbers and booleans that are not, CHILD_SA
# bindings that name no connection or child, names too long for the SA
# table, a site prefix containing a VPN peer's own address, and the route
# engine's table and protocol used by something else (read-only precheck),
# interface names no link can have or that are unsafe to print.
# Each refusal is one line naming the file, the key and what was expected;
# no crash (also under ASan/UBSan). More than 256 paths in all are fine.
#
#   routes_conf.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-rtconf}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
netns_new az
veth_pair gw eth0 198.51.100.1/24 az eth0 198.51.100.2/24

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
  aws {
    remote_addrs = 2001:db8:aa::2, peer.example
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      vpc {
        remote_ts = 100.64.3.0/24
      }
    }
  }
}
CONF

# conf NAME ROUTES_BODY -> $T_DIR/NAME/tunneld.conf with "routes { BODY }"
conf() {
  tunneld_write_conf "$1" "$T_DIR/swanctl.conf"
  printf 'tunneld {\n  routes {\n%s\n  }\n}\n' "$2" >>"$T_DIR/$1/tunneld.conf"
}
# site BODY_OF_A_PATH [SITE_NAME] [PATH_NAME] [PREFIXES]
site() {
  printf '    sites {\n      %s {\n        prefixes = %s\n        paths {\n          %s {\n%s\n          }\n        }\n      }\n    }' \
    "${2:-west}" "${4:-100.64.2.0/24}" "${3:-vpn}" "$1"
}
VPN='            dev = ipsec0
            child = azure.sensors'
# check_n NAME -> runs tunneld -n in the gateway's namespace: $T_DIR/NAME.out, .rc
check_n() {
  ASAN_OPTIONS=exitcode=86 UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1 \
    ip netns exec "$TEST-gw" "$TUNNELD" -n -f "$T_DIR/$1/tunneld.conf" >"$T_DIR/$1.out" 2>&1
  echo $? >"$T_DIR/$1.rc"
}
# refused NAME PATTERN: exit 1 (no crash, no sanitizer report), one line
# (besides warnings)
# that names the file and matches PATTERN (grep -F)
refused() {
  local out="$T_DIR/$1.out"
  [ "$(cat "$T_DIR/$1.rc")" = 1 ] || { log "$1: exit $(cat "$T_DIR/$1.rc"): $(head -c 600 "$out")"; return 1; }
  grep -q 'Sanitizer\|runtime error' "$out" && { log "$1: sanitizer report"; return 1; }
  # (warnings of what cannot be checked, such as a peer given as a DNS name, may come first)
  [ "$(grep -vc '^warning: ' "$out")" = 1 ] || { log "$1: not one line: $(cat "$out")"; return 1; }
  grep -qF "$T_DIR/$1/tunneld.conf: " "$out" && grep -qF -- "$2" "$out" ||
    { log "$1: got: $(cat "$out")"; return 1; }
}
accepted() { [ "$(cat "$T_DIR/$1.rc")" = 0 ] && grep -qF -- "$2" "$T_DIR/$1.out" || { log "$1: $(cat "$T_DIR/$1.out")"; return 1; }; }

conf good "$(site "$VPN")"
check_n good
check "a good routes section passes -n" accepted good "(data plane libipsec, 1 routed site)"

# names that would be printf formats in settings keys
conf pct1 "$(site "$VPN" 'er%s')"
check_n pct1
check "site 'er%s' refused, no crash" refused pct1 "tunneld.routes.sites: site name 'er%s' is invalid (expected 1..63 characters of A-Z a-z 0-9 _ -"
conf pct2 "$(site "$VPN" west '%n')"
check_n pct2
check "path '%n' refused, no crash" refused pct2 "tunneld.routes.sites.west.paths: path name '%n' is invalid"
conf pct3 "$(site "$VPN" 'a%n%n%s%s')"
check_n pct3
check "site 'a%n%n%s%s' refused, no crash" refused pct3 "site name 'a%n%n%s%s' is invalid"

# interface names the kernel could never give a link, or unsafe to print
# (one rule with the XFRM interfaces: routes_ifname_valid)
i=0
for dev in 'er/0' 'er:0' 'er 0' '.' '..' 'er%n%s' $'er\xc3\xa9' 'er0123456789abcd'; do
  i=$((i + 1))
  conf "dev$i" "$(site "            dev = $dev
            gateway4 = 198.51.100.2" west er)"
  check_n "dev$i"
  check "dev '$(printf '%q' "$dev")' refused naming the key" refused "dev$i" \
    "tunneld.routes.sites.west.paths.er.dev: '"
  check "dev '$(printf '%q' "$dev")': the rule is named" grep -qF "is not a usable interface name (expected 1 to 15 bytes of printable ASCII" "$T_DIR/dev$i.out"
  check "dev '$(printf '%q' "$dev")': no raw control or non-ASCII byte in the message" \
    sh -c "! LC_ALL=C grep -q '[^ -~]' '$T_DIR/dev$i.out'"
done
check "non-ASCII shown escaped" grep -qF "'er\\xc3\\xa9'" "$T_DIR/dev7.out"
# a control byte never reaches the routes' checks: the file is refused first
esc=$'er\x1b[2J'
conf devesc "$(site "            dev = $esc
            gateway4 = 198.51.100.2" west er)"
check_n devesc
check "ESC in a dev is refused as a control byte, with file:line" sh -c \
  "[ \"\$(cat '$T_DIR/devesc.rc')\" = 1 ] && grep -qF '$T_DIR/devesc/tunneld.conf:30: control byte 0x1b at column' '$T_DIR/devesc.out'"

# unknown keys and sections
conf gwkey "$(site "            dev = eth0
            gateway = 198.51.100.2" west er)"
check_n gwkey
check "unknown path key 'gateway' refused naming the valid ones" refused gwkey \
  "tunneld.routes.sites.west.paths.er: unknown key 'gateway' (expected one of: dev, gateway4, gateway6, priority, weight, child)"
conf topkey "    tabel = 1170
$(site "$VPN")"
check_n topkey
check "unknown key 'tabel' refused" refused topkey \
  "tunneld.routes: unknown key 'tabel' (expected one of: table, protocol, flush_on_exit, fail_closed, nexthop_compat_mode, probe_table_base, probe_mark_base, probe_rule_priority)"
conf sitesec "$(site "$VPN" | sed 's/^        prefixes/        extra {\n        }\n        prefixes/')"
check_n sitesec
check "unknown section in a site refused" refused sitesec "tunneld.routes.sites.west: unknown section 'extra' (expected one of: paths)"

# numbers and booleans
for v in abc 0x10 -5 4294967296 254; do
  conf "table$v" "    table = $v
$(site "$VPN")"
  check_n "table$v"
  check "table = $v refused" refused "table$v" "tunneld.routes.table: '$v' is not a routing table"
done
conf table252 "    table = 252
$(site "$VPN")"
check_n table252
check "table = 252 (the kernel's compat table) refused" refused table252 "tunneld.routes.table: '252' is not a routing table"
# charon's own routing table (kernel-netlink's routing_table: 220 unless set)
conf table220 "    table = 220
$(site "$VPN")"
check_n table220
check "table = 220 (charon's routing table) refused" refused table220 \
  "tunneld.routes.table: table 220 is charon's own routing table (tunneld.routing_table or charon.routing_table, default 220)"
conf rtab "    table = 1170
$(site "$VPN")"
printf 'tunneld {\n  routing_table = 1170\n}\n' >>"$T_DIR/rtab/tunneld.conf"
check_n rtab
check "table = tunneld.routing_table refused" refused rtab "tunneld.routes.table: table 1170 is charon's own routing table"
conf crtab "$(site "$VPN")"
printf 'charon {\n  routing_table = 1160\n}\n' >>"$T_DIR/crtab/tunneld.conf"
check_n crtab
check "the default table 1160 = charon.routing_table (read through the fallback) refused" \
  refused crtab "tunneld.routes.table: table 1160 is charon's own routing table"
conf moved "    table = 220
$(site "$VPN")"
printf 'tunneld {\n  routing_table = 1170\n}\n' >>"$T_DIR/moved/tunneld.conf"
check_n moved
check "table = 220 is fine once charon's table is elsewhere" accepted moved "(data plane libipsec, 1 routed site)"

conf proto372 "    protocol = 372
$(site "$VPN")"
check_n proto372
check "protocol = 372 refused (was truncated to 116)" refused proto372 "tunneld.routes.protocol: '372' is not a protocol number (expected 5..255"
conf weight0 "$(site "$VPN
            weight = 0")"
check_n weight0
check "weight = 0 refused" refused weight0 "tunneld.routes.sites.west.paths.vpn.weight: '0' is not a number from 1 to 255"
conf weight300 "$(site "$VPN
            weight = 300")"
check_n weight300
check "weight = 300 refused" refused weight300 "'300' is not a number from 1 to 255"
conf prioneg "$(site "$VPN
            priority = -1")"
check_n prioneg
check "priority = -1 refused" refused prioneg "tunneld.routes.sites.west.paths.vpn.priority: '-1' is not a number"
conf fcbad "    fail_closed = maybe
$(site "$VPN")"
check_n fcbad
check "fail_closed = maybe refused" refused fcbad "tunneld.routes.fail_closed: 'maybe' is not a boolean"

# CHILD_SA bindings against the connections file
conf typo1 "$(site "            dev = ipsec0
            child = azure.sensor")"
check_n typo1
check "a child typo names the children that exist" refused typo1 \
  "tunneld.routes.sites.west.paths.vpn.child: connection 'azure' has no child 'sensor' (children: sensors)"
conf typo2 "$(site "            dev = ipsec0
            child = azur.sensors")"
check_n typo2
check "a connection typo names the connections that exist" refused typo2 \
  "no connection 'azur' in the connections file (connections: aws, azure)"
long=$(printf 'c%.0s' $(seq 64))
conf longname "$(site "            dev = ipsec0
            child = $long.sensors")"
check_n longname
check "a connection name too long for the SA table refused" refused longname \
  "connection and child names longer than 63 characters cannot be tracked by the SA table"

# a site prefix containing a VPN peer's own address
conf peer "$(site "$VPN" west vpn '100.64.2.0/24, 198.51.100.0/25')"
check_n peer
check "a prefix containing the peer refused naming site, prefix, peer and connection" refused peer \
  "tunneld.routes.sites.west.prefixes: prefix 198.51.100.0/25 contains 198.51.100.2, the remote address of connection 'azure'"
conf peer6 "$(site "$VPN" west vpn '2001:db8:aa::/48')"
check_n peer6
check "an IPv6 prefix containing the peer refused" refused peer6 "prefix 2001:db8:aa::/48 contains 2001:db8:aa::2, the remote address of connection 'aws'"

# more than 256 paths in all (16 paths in each of 20 sites)
body="    sites {"
for s in $(seq 0 19); do
  body+="
      s$s {
        prefixes = 100.65.$s.0/24
        paths {"
  for p in $(seq 0 15); do
    body+="
          p$p {
            dev = eth0
            gateway4 = 198.51.100.$((10 + p))
          }"
  done
  body+="
        }
      }"
done
body+="
    }"
conf many "$body"
check_n many
check "320 paths in 20 sites pass -n" accepted many "20 routed sites"

# the engine's table and protocol, read-only (nothing changed by -n)
nsx gw ip route add 192.0.2.200/32 dev eth0 table 1160 proto static
conf table "$(site "$VPN")"
check_n table
check "-n refuses a table used by something else, naming the key" refused table \
  "tunneld.routes.table: table 1160 is already used by something else: 1 route(s) not made by tunneld, e.g. 192.0.2.200/32 proto 4"
check "-n changed nothing: no policy rule of tunneld" sh -c "! ip -n $TEST-gw rule | grep -q 1160"
nsx gw ip route del 192.0.2.200/32 table 1160
nsx gw ip route add 192.0.2.201/32 dev eth0 proto 116
conf proto "$(site "$VPN")"
check_n proto
check "-n refuses a protocol number used in another table, naming the key" refused proto \
  "tunneld.routes.protocol: protocol number 116 is already used by something else"
nsx gw ip route del 192.0.2.201/32 proto 116
conf unconn "$(site "            dev = eth0
            gateway4 = 192.0.2.9" west er)"
check_n unconn
check "-n refuses a next hop not on the interface's subnet" refused unconn \
  "next hop 192.0.2.9 is not on a subnet connected to eth0 (expected one of: 198.51.100.0/24)"

# and tunneld itself refuses to start with a foreign route in its table
nsx gw ip route add 192.0.2.200/32 dev eth0 table 1160 proto static
tunneld_write_conf start "$T_DIR/swanctl.conf"
printf 'tunneld {\n  routes {\n%s\n  }\n}\n' "$(site "$VPN")" >>"$T_DIR/start/tunneld.conf"
ip netns exec "$TEST-gw" "$TUNNELD" -f "$T_DIR/start/tunneld.conf" >"$T_DIR/start.out" 2>&1 &
spid=$!
T_PIDS+=("$spid")
gone() { ! our_child "$spid"; }
check "tunneld refuses to start (exits) with the table in use" wait_for 30 "exit" gone
if gone; then
  wait "$spid"
  src=$?
else
  kill -TERM "$spid"
  wait "$spid"
  src=running
fi
check "tunneld's exit status is non-zero" test "$src" != running -a "$src" != 0
check "the log names the key and the conflict" grep -qF \
  "tunneld.routes.table: table 1160 is already used by something else" "$T_DIR/start/tunneld.log"
check "no policy rule left behind" sh -c "! ip -n $TEST-gw rule | grep -q 'lookup 1160'"
finish
