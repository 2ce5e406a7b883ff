#!/usr/bin/env bash
# Issue 10 in tunneld through real proxies: a site with two ExpressRoute-like
# paths (er preferred, bk) to one Azure-side router "azure" behind which sit
# the endpoints (openssl s_server), Squid "azure-proxy" (3128 open, 3129 with
# Basic credentials) and Squid "dmz-proxy" (credentials, parent azure-proxy).
# The checks run every second, pinned to each path by its probe mark.
#  1. group "auth": azure-proxy:3129 with credentials = azp (a '%41' in the
#     user, '%', '%n', '%41' and a quote in the secret): passes on both paths
#     (200), Squid logged the user; the secret is in no JSON, text, log or
#     stderr (at the end); a reload without the secret is refused;
#  2. group "chain" (via dmz-proxy, azure-proxy) and legacy group "hub" (its
#     IoT Hub on 443, 5671, 8883) through dmz-proxy: pass; then azure-proxy
#     refuses 5671: "dmz-proxy → azure-proxy: 403 ERR_ACCESS_DENIED to
#     HUB:5671", a service fault, the paths stay up, 443/8883 still pass;
#  3. a wrong secret (SIGHUP): "azure-proxy answered 407: credentials
#     refused", a service fault on both paths, paths up, the route stays on
#     er; the right secret back (SIGHUP): passes again;
#  4. group "portal": endpoints_file as the portal downloads it (a header,
#     blank lines, CRLF): each endpoint is a check row on both paths, passing;
#  5. tunnelctl paths (text) shows the groups and the reasons.
#
#   checks_daemon_proxy.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-ckdproxy}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
. "$REPO/tests/checks/checks_lib.sh"

# the secret: '%' alone, printf's '%n', a URL escape '%41' (libcurl would
# decode it to 'A' if handed unescaped) and a quote (escaped in the file)
PW='pw%-%n-%41-"q-S3cr3t-91d'
PW_CONF='pw%-%n-%41-\"q-S3cr3t-91d'
BAD_CONF='wrong-%41-S3cr3t-no'
# a '%41' in the user name too (libcurl decodes the user as well)
CK_USER=sensor-gw%41
LOG_USER=sensor-gw%2541 # (as Squid logs it)
CK_PASSWORD=$PW

B=ep1.blob.core.windows.net
H=myhub.azure-devices.net
P1=ep2.blob.core.windows.net
P2=ev1.servicebus.windows.net

# ---- the network -------------------------------------------------------------
#   gw  er0 192.0.2.1/24    --  azure er 192.0.2.2/24
#       bk0 198.51.100.1/24 --  azure bk 198.51.100.2/24
#   azure tp 100.64.3.1/24  --  proxy eth0 100.64.3.3/24 (azure-proxy)
#   azure td 100.64.4.1/24  --  dmz eth0 100.64.4.4/24 (dmz-proxy)
# The checks leave with the path's own address (no source): the answers find
# their way back on the same path.
for n in gw azure proxy dmz; do netns_new $n; done
nsx gw ip addr add 100.64.1.1/32 dev lo
veth_pair gw er0 192.0.2.1/24 azure er 192.0.2.2/24
veth_pair gw bk0 198.51.100.1/24 azure bk 198.51.100.2/24
veth_pair azure tp 100.64.3.1/24 proxy eth0 100.64.3.3/24
veth_pair azure td 100.64.4.1/24 dmz eth0 100.64.4.4/24
nsx azure sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
  net.ipv4.conf.default.rp_filter=0 || die "forwarding in azure"
nsx azure ip route add 100.64.1.0/24 via 192.0.2.1
nsx proxy ip route add default via 100.64.3.1
nsx dmz ip route add default via 100.64.4.1
chmod 711 "$T_DIR" # Squid (user proxy) reaches its own directory below
mkdir -p "$T_DIR/pki"
ck_etc gw
: >"$T_DIR/hosts"
chmod 644 "$T_DIR/hosts"

ck_endpoint $B 100.64.2.10 tls12
for port in 443 5671 8883; do ck_endpoint $H 100.64.2.20 tls12 "" $port; done
ck_endpoint $P1 100.64.2.11 tls13
ck_endpoint $P2 100.64.2.12 tls12
ck_azure_proxy
ck_dmz_proxy

# the portal's download: a header, blank lines, CRLF line ends
printf 'Endpoint details\r\n\r\n%s:443\r\n\r\n%s:443\r\n\r\n' $P1 $P2 >"$T_DIR/gw-endpoints.txt"

# swanctl_conf SECRET -> the connections file with secrets.proxy-azp
swanctl_conf() {
  cat >"$T_DIR/swanctl.conf" <<CONF
connections {
}
secrets {
  proxy-azp {
    user = $CK_USER
    secret = "$1"
  }
}
CONF
}
swanctl_conf "$PW_CONF"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  # the config and library groups at their highest level, the rest at 3:
  # the password must appear nowhere
  filelog {
    all {
      path = $T_DIR/gw/all.log
      flush_line = yes
      default = 3
      cfg = 4
      lib = 4
    }
  }
  checks {
    interval = 1s
    connect_timeout = 1s
    proxy_timeout = 2s
    tls_timeout = 2s
  }
  sites {
    azure {
      prefixes = 100.64.2.0/24, 100.64.3.0/24, 100.64.4.0/24
      paths {
        er {
          type = expressroute
          dev = er0
          gateway4 = 192.0.2.2
          priority = 10
          hold_down = 0s
          min_good = 0s
        }
        bk {
          type = expressroute
          dev = bk0
          gateway4 = 198.51.100.2
          priority = 20
          hold_down = 0s
          min_good = 0s
        }
      }
      sensors {
        auth {
          subnets = 100.64.1.0/24
          endpoints = $B:443
          method = proxy
          proxy = 100.64.3.3:3129
          via = azure-proxy
          credentials = azp
          proxy_auth = basic
          tls {
            ca_file = $CK_CA
          }
        }
        chain {
          subnets = 100.64.1.0/24
          endpoints = $B:443
          method = proxy
          proxy = 100.64.4.4:3128
          via = dmz-proxy, azure-proxy
          credentials = azp
          tls {
            ca_file = $CK_CA
          }
        }
        hub {
          subnets = 100.64.1.0/24
          legacy = yes
          endpoints = $H:443, $H:5671, $H:8883
          method = proxy
          proxy = 100.64.4.4:3128
          via = dmz-proxy, azure-proxy
          credentials = azp
          tls {
            ca_file = $CK_CA
          }
        }
        portal {
          subnets = 100.64.1.0/24
          endpoints_file = $T_DIR/gw-endpoints.txt
          tls {
            ca_file = $CK_CA
          }
        }
      }
    }
  }
}
CONF
tunneld_start gw

# (cq: tests/health/health_lib.sh)
# c_is FIELD GROUP PATH ENDPOINT VALUE; c_has ... TEXT (contains)
c_is() { [ "$(cq "$1" "$2" "$3" "$4" 2>/dev/null)" = "$5" ]; }
c_has() { cq "$1" "$2" "$3" "$4" 2>/dev/null | grep -qF -- "$5"; }
# every ROW (group path endpoint) of the list has FIELD = VALUE
all_is() {
  local f=$1 v=$2 g p e; shift 2
  for r in "$@"; do
    read -r g p e <<<"$r"
    c_is "$f" "$g" "$p" "$e" "$v" || return 1
  done
}
# t_row FILE GROUP ENDPOINT PATH TEXT -> a row of tunnelctl's text check
# table for GROUP, ENDPOINT and PATH whose line holds TEXT
t_row() {
  awk -v g="$2" -v e="$3" -v p="$4" -v t="$5" \
    '$1 == g && $2 == e && $3 == p && index($0, t) { f = 1 } END { exit !f }' "$1"
}
# t_group FILE HEADING TEXT -> the line TEXT comes in the block under HEADING
t_group() {
  awk -v h="$2" -v t="$3" 'index($0, h) { in_b = 1; next }
    in_b && /^  [a-z]/ { in_b = 0 } in_b && index($0, t) { f = 1 } END { exit !f }' "$1"
}
# lacks GREP_ARGS... -> no line matches (a file that cannot be read fails)
lacks() {
  grep -q "$@"
  [ $? = 1 ]
}
paths_up() { p_is gw azure er state up && p_is gw azure bk state up; }
dump() { tctl gw -j paths >"$T_DIR/paths-$1.json" 2>&1; tctl gw paths >"$T_DIR/paths-$1.txt" 2>&1; }

# ---- 1, 2, 4: everything passes on both paths ----------------------------------
ROWS=()
for p in er bk; do
  ROWS+=("auth $p $B:443" "chain $p $B:443" "hub $p $H:443" "hub $p $H:5671" "hub $p $H:8883"
    "portal $p $P1:443" "portal $p $P2:443")
done
check "every check passes on both paths" wait_for 25 "all pass" all_is verdict pass "${ROWS[@]}"
dump pass
for p in er bk; do
  check "auth on $p: the proxy answered 200" c_is proxy_status auth $p $B:443 200
  check "chain on $p: dmz-proxy answered 200" c_is proxy_status chain $p $B:443 200
  check "hub 5671 on $p: 200" c_is proxy_status hub $p $H:5671 200
done
check "the auth group's rows via azure-proxy: TLSv1.2" c_is tls_version auth er $B:443 TLSv1.2
check "azure-proxy logged $CK_USER's CONNECT from er's address" \
  grep -q "192.0.2.1 .*CONNECT $B:443 $LOG_USER " "$T_DIR/squid-azure-proxy/access.log"
check "... and from bk's address" \
  grep -q "198.51.100.1 .*CONNECT $B:443 $LOG_USER " "$T_DIR/squid-azure-proxy/access.log"
check "dmz-proxy logged $CK_USER's CONNECT to $H:5671" \
  grep -q "CONNECT $H:5671 $LOG_USER " "$T_DIR/squid-dmz-proxy/access.log"
check "the JSON names the hub group legacy" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
g = [g for s in d["sites"] for g in s.get("groups") or [] if g["name"] == "hub"][0]
sys.exit(0 if g["legacy"] is True and g["via"] == ["dmz-proxy", "azure-proxy"] else 1)' \
  "$T_DIR/paths-pass.json"
n_portal=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len([c for s in d["sites"] for c in s.get("checks") or [] if c["group"] == "portal"]))' \
  "$T_DIR/paths-pass.json")
check "the endpoints file gave 2 endpoints x 2 paths: 4 rows (got $n_portal)" [ "$n_portal" = 4 ]
check "er carries the site" route_dev er0

# ---- 2: the parent refuses 5671 --------------------------------------------------
conf=$T_DIR/squid-azure-proxy/squid.conf
sed -i 's/^acl endpoints .*/&\nacl amqps port 5671\nhttp_access deny amqps/' "$conf"
grep -q '^http_access deny amqps' "$conf" || die "azure-proxy's conf not changed"
pid=$(cat "$T_DIR/squid-azure-proxy/squid.pid") || die "azure-proxy's pid file"
kill -HUP "$pid" || die "azure-proxy reconfigure"
WHY="dmz-proxy → azure-proxy: 403 ERR_ACCESS_DENIED to $H:5671"
check "hub 5671 fails on er, named for azure-proxy" \
  wait_for 20 "hub 5671 er" c_is reason hub er $H:5671 "$WHY"
check "... and on bk" wait_for 5 "hub 5671 bk" c_is reason hub bk $H:5671 "$WHY"
check "a service fault (er)" wait_for 5 "service er" c_is fault hub er $H:5671 service
check "a service fault (bk)" c_is fault hub bk $H:5671 service
check "phase proxy, status 403" c_is proxy_status hub er $H:5671 403
check "the hop that answered: azure-proxy" c_is proxy_hop hub er $H:5671 azure-proxy
check "hub 443 still passes" c_is verdict hub er $H:443 pass
check "hub 8883 still passes" c_is verdict hub bk $H:8883 pass
check "er's application verdict stays ok" p_is gw azure er app_ok true
check "bk's too" p_is gw azure bk app_ok true
check "both paths stay up" paths_up
check "er still carries the site" route_dev er0
dump refused
check "tunnelctl paths: hub among the legacy groups, with its chain" \
  t_group "$T_DIR/paths-refused.txt" "legacy groups (IoT Hub):" \
  "group hub: proxy 100.64.4.4:3128 (chain dmz-proxy → azure-proxy); sensors 100.64.1.0/24; 4 pass, 0 warn, 2 fail"
check "... its 5671 row on er with the reason, a service fault" \
  t_row "$T_DIR/paths-refused.txt" hub $H:5671 er "service: $WHY"
check "... and on bk" t_row "$T_DIR/paths-refused.txt" hub $H:5671 bk "service: $WHY"
check "... its 443 row passes" t_row "$T_DIR/paths-refused.txt" hub $H:443 er "pass"

# ---- 3: a wrong password, then the right one again ---------------------------------
swanctl_conf "$BAD_CONF"
hup
REFUSED="azure-proxy answered 407: credentials refused"
check "auth fails on er: credentials refused" \
  wait_for 20 "auth 407 er" c_has reason auth er $B:443 "$REFUSED"
check "auth fails on bk: credentials refused" \
  wait_for 5 "auth 407 bk" c_has reason auth bk $B:443 "$REFUSED"
check "verdict fail" c_is verdict auth er $B:443 fail
check "status 407" c_is proxy_status auth bk $B:443 407
check "a service fault on er" wait_for 5 "auth service er" c_is fault auth er $B:443 service
check "a service fault on bk" c_is fault auth bk $B:443 service
check "the chain: dmz-proxy answered 407: credentials refused" \
  wait_for 5 "chain 407" c_has reason chain er $B:443 "dmz-proxy answered 407: credentials refused"
check "the portal group (direct) still passes" c_is verdict portal er $P1:443 pass
check "er's application verdict stays ok" p_is gw azure er app_ok true
check "both paths stay up" paths_up
check "the route does not move" route_dev er0
dump wrong
check "tunnelctl paths: auth among the 22.x groups, failing" \
  t_group "$T_DIR/paths-wrong.txt" "sensor groups (22.x):" \
  "group auth: proxy 100.64.3.3:3129 (chain azure-proxy); sensors 100.64.1.0/24; 0 pass, 0 warn, 2 fail"
check "... its rows with the 407 reason (er)" t_row "$T_DIR/paths-wrong.txt" auth $B:443 er "service: $REFUSED"
check "... (bk)" t_row "$T_DIR/paths-wrong.txt" auth $B:443 bk "service: $REFUSED"
check "... the portal group direct, passing" t_group "$T_DIR/paths-wrong.txt" "sensor groups (22.x):" \
  "group portal: direct; sensors 100.64.1.0/24; 4 pass, 0 warn, 0 fail"

swanctl_conf "$PW_CONF"
hup
check "auth passes again on er" wait_for 20 "auth pass er" c_is verdict auth er $B:443 pass
check "auth passes again on bk" wait_for 5 "auth pass bk" c_is verdict auth bk $B:443 pass
check "the chain passes again" wait_for 5 "chain pass" c_is verdict chain bk $B:443 pass

# a reload whose connections file lacks secrets.proxy-azp: refused whole, the
# checks keep the credentials they have
rounds() { tctl gw -j paths | python3 -c 'import json, sys; print(json.load(sys.stdin)["checks"]["rounds"])'; }
rounds_past() { [ "$(rounds 2>/dev/null)" -gt "$1" ] 2>/dev/null; }
printf 'connections {\n}\nsecrets {\n}\n' >"$T_DIR/swanctl.conf"
kill -HUP "$TUNNELD_PID_gw"
check "the reload without proxy-azp is refused, naming it" wait_for 15 "reload refused" \
  grep -q "sensors.auth.credentials: no secret proxy-azp" "$T_DIR/gw/tunneld.log"
r=$(rounds)
check "two more rounds run" wait_for 10 "two rounds" rounds_past $((r + 1))
check "auth still passes on er (the old credentials)" c_is verdict auth er $B:443 pass
check "... and on bk" c_is verdict auth bk $B:443 pass
swanctl_conf "$PW_CONF"

# SIGHUPs in a burst while checks run (each reload abandons running checks)
n=$(reloads)
for _ in 1 2 3 4 5; do kill -HUP "$TUNNELD_PID_gw"; done
check "the burst of SIGHUPs reloads" wait_for 15 "reloads" sh -c "[ \$(grep -c 'connections loaded' '$T_DIR/gw/tunneld.log') -gt $n ]"
r=$(rounds)
check "rounds go on after the burst" wait_for 10 "two rounds" rounds_past $((r + 1))
check "tunneld is still running" our_child "$TUNNELD_PID_gw"
check "auth passes after the burst (er)" wait_for 5 "auth pass" c_is verdict auth er $B:443 pass
check "the hub's 443 passes after the burst (bk)" c_is verdict hub bk $H:443 pass

# ---- 1: the secret, nowhere -------------------------------------------------------
dump end
check "tunneld stops cleanly" tunneld_stop gw
# the engine's lines in tunneld's logs: once prefixed, a failing check at
# level 2 (the main log, cfg = 2), a passing one only at 3 (all.log)
L=$T_DIR/gw/tunneld.log
check "the main log has the failing check" grep -qF "checks: azure/auth/er: fail: $REFUSED" "$L"
check "... not the passing ones (level 3)" lacks "checks: azure/[a-z]*/[a-z]*: pass:" "$L"
check "all.log (cfg = 4) has the passing ones" grep -qF "checks: azure/auth/bk: pass: $B:443: ok" "$T_DIR/gw/all.log"
check "no line says 'checks: checks:'" lacks "checks: checks:" "$L" "$T_DIR/gw/all.log"
for f in "$T_DIR"/paths-*.json "$T_DIR"/paths-*.txt "$T_DIR"/gw/*.log; do
  check "the secret is not in ${f#"$T_DIR"/}" lacks -F -e "$PW" -e S3cr3t -- "$f"
done
finish
