#!/usr/bin/env bash
# Issue 10 end to end in tunneld: a site with two ExpressRoute-like paths
# (er preferred, bk) and one sensor group whose endpoint
# blob.core.windows.net:443 is an `openssl s_server` (TLS 1.2, AES-256-GCM,
# a certificate from a CA the test makes) behind each path. The checks run
# every second, pinned to each path by its probe mark.
#  - both paths pass: er carries the site;
#  - the endpoint refuses connections behind er only: a path fault: er goes
#    degraded with the check's reason, the site moves to bk;
#  - er repaired: back to er after min_good;
#  - the endpoint refuses behind both: a service fault, nothing moves;
#  - a second group through a proxy with credentials (the proxy is not
#    there): the password appears in no log, status or JSON.
#
#   checks_daemon.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-checks_daemon}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"

PW='pw-%s%n-S3cr3t-7f1c'

health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2
mkdir -p "/etc/netns/$TEST-gw"
printf '127.0.0.1 localhost\n100.64.2.1 blob.core.windows.net\n' >"/etc/netns/$TEST-gw/hosts"

# a CA and the endpoint's certificate
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/ca.key" -out "$T_DIR/ca.pem" \
  -days 30 -subj "/CN=$TEST test CA" >/dev/null 2>&1 || die "CA"
openssl req -newkey rsa:2048 -nodes -keyout "$T_DIR/ep.key" -out "$T_DIR/ep.csr" \
  -subj "/CN=blob.core.windows.net" >/dev/null 2>&1 || die "CSR"
printf 'subjectAltName=DNS:blob.core.windows.net\n' >"$T_DIR/ext"
openssl x509 -req -in "$T_DIR/ep.csr" -CA "$T_DIR/ca.pem" -CAkey "$T_DIR/ca.key" \
  -CAcreateserial -days 30 -extfile "$T_DIR/ext" -out "$T_DIR/ep.pem" >/dev/null 2>&1 || die "cert"

for far in er bk; do
  spawn "$T_DIR/s_server-$far.log" ip netns exec "$TEST-$far" openssl s_server -quiet \
    -accept 100.64.2.1:443 -cert "$T_DIR/ep.pem" -key "$T_DIR/ep.key" -tls1_2 \
    -cipher ECDHE-RSA-AES256-GCM-SHA384
  wait_for 10 "s_server in $far" sh -c "ip netns exec $TEST-$far ss -ltn | grep -q '100.64.2.1:443'" ||
    die "s_server did not start in $far"
done

cat >"$T_DIR/swanctl.conf" <<CONF
connections {
}
secrets {
  proxy-azp {
    user = sensor-gw
    secret = "$PW"
  }
}
CONF
tunneld_write_conf gw "$T_DIR/swanctl.conf"
cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  # the config and library groups at their highest level (4 for all is
  # refused: key material), the rest at 3: the password must appear nowhere
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
    proxy_timeout = 1s
    tls_timeout = 1s
  }
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        er {
          type = expressroute
          dev = er0
          gateway4 = 192.0.2.2
          priority = 10
          hold_down = 0s
          min_good = 2s
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
        ot {
          subnets = 100.64.1.0/24
          endpoints = blob.core.windows.net:443
          source = 100.64.1.1
          tls {
            ca_file = $T_DIR/ca.pem
          }
        }
        viaproxy {
          subnets = 100.64.1.0/24
          endpoints = blob.core.windows.net:443
          method = proxy
          proxy = 100.64.2.9:3128
          via = azure-proxy
          credentials = azp
          tls {
            ca_file = $T_DIR/ca.pem
          }
        }
      }
    }
  }
}
CONF
tunneld_start gw

# (cq: tests/health/health_lib.sh)
c_is() { [ "$(cq "$1" "$2" "$3" 2>/dev/null)" = "$4" ]; }
c_has() { cq "$1" "$2" "$3" 2>/dev/null | grep -qF -- "$4"; }

check "the check passes on er" wait_for 20 "ot on er passes" c_is verdict ot er pass
check "the check passes on bk" wait_for 10 "ot on bk passes" c_is verdict ot bk pass
check "it negotiated TLSv1.2" c_is tls_version ot er TLSv1.2
check "with an AES-256 cipher" c_has cipher ot er AES256
check "the certificate's subject is reported" c_has cert_subject ot er blob.core.windows.net
check "er's application verdict is ok" wait_for 5 "er app ok" p_is gw azure er app_ok true
check "er carries the site" wait_for 10 "route er0" route_dev er0
check "the proxy group fails on both paths: a service fault" \
  wait_for 10 "viaproxy service" c_is fault viaproxy er service
check "... named for the proxy" c_has reason viaproxy er azure-proxy
check "a service fault does not touch er" p_is gw azure er state up

# behind er only, the endpoint refuses connections: the path's fault
nsx er nft add table inet app
nsx er nft add chain inet app in '{ type filter hook input priority -5; policy accept; }'
nsx er nft add rule inet app in tcp dport 443 reject with tcp reset
check "the check fails on er: connection refused" \
  wait_for 10 "ot on er fails" c_has reason ot er "connection refused"
check "judged a path fault" wait_for 5 "path fault" c_is fault ot er path
check "bk still passes" c_is verdict ot bk pass
check "er's app verdict is false" wait_for 5 "er app false" p_is gw azure er app_ok false
check "er is degraded" wait_for 5 "er degraded" p_is gw azure er state degraded
check "its reason names the application check" p_has gw azure er reason "application checks"
check "the site moved to bk" wait_for 10 "route bk0" route_dev bk0

# repaired: back to er once its good time is served
nsx er nft delete table inet app
check "er passes again" wait_for 10 "ot on er passes again" c_is verdict ot er pass
check "er is up again" wait_for 10 "er up again" p_is gw azure er state up
check "the site is back on er" wait_for 10 "route er0 again" route_dev er0

# both refuse: the endpoint's fault, nothing moves
for far in er bk; do
  nsx $far nft add table inet app
  nsx $far nft add chain inet app in '{ type filter hook input priority -5; policy accept; }'
  nsx $far nft add rule inet app in tcp dport 443 reject with tcp reset
done
check "fails on bk too" wait_for 10 "ot on bk fails" c_has reason ot bk "connection refused"
check "judged a service fault (er)" wait_for 5 "service er" c_is fault ot er service
check "judged a service fault (bk)" c_is fault ot bk service
check "er is not degraded by a service fault" wait_for 5 "er app ok" p_is gw azure er app_ok true
check "er still carries the site" route_dev er0
check "er state up" p_is gw azure er state up

# the secret: nowhere
tctl gw -j paths >"$T_DIR/paths.json"
tctl gw paths >"$T_DIR/paths.txt" 2>&1
check "paths JSON has the check rows" grep -q '"checks"' "$T_DIR/paths.json"
check "the password is not in the JSON" bash -c "! grep -qF -- '$PW' '$T_DIR/paths.json'"
check "the password is not in tunnelctl's text" bash -c "! grep -qF -- '$PW' '$T_DIR/paths.txt'"
check "tunneld stops cleanly" tunneld_stop gw
check "the password is not in tunneld's log" bash -c "! grep -rqF -- '$PW' '$T_DIR/gw/'*.log"
check "nor in tunneld's stderr" bash -c "! grep -qF -- 'S3cr3t' '$T_DIR/gw/stderr.log'"
finish
