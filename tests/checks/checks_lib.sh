# shellcheck shell=bash
# Fixtures of the application checks' tests (tests/checks/checks_*.sh): the
# real other side of a Defender for IoT sensor's way to Azure. Source after
# tests/lib/common.sh.
#
#   gw     the sensor gateway, where checks-probe runs (ck_probe), with two
#          paths towards Azure: p1 100.64.10.1/30 and p2 100.64.10.5/30
#          (routes: p1 preferred; mark 1 / source .1 -> table 101 via p1,
#          mark 2 / source .5 -> table 102 via p2; a socket bound to p2
#          finds the less preferred route via p2)
#   azure  the endpoints (openssl s_server, one address each on lo, in
#          100.64.2.0/24, all on 443) and the router between everything
#   proxy  Squid "azure-proxy" on 100.64.3.3: 3128 (no credentials) and
#          3129 (credentials required, basic_ncsa_auth); CONNECT only to
#          the endpoint domains and the ports 443, 5671, 8883; no caching
#   dmz    Squid "dmz-proxy" on 100.64.4.4:3128, credentials required,
#          parent azure-proxy:3128 (cache_peer, never_direct)
#
# Names (under azure-devices.net, blob.core.windows.net,
# servicebus.windows.net) are resolved by the test: /etc/netns/$TEST-gw/hosts
# (checks-probe runs under `ip netns exec`, so that file is its /etc/hosts)
# and Squid's hosts_file. A CA the test makes signs the endpoints'
# certificates ($CK_CA); "Evil CA" is one nobody trusts.
#
# Everything is named after $TEST and removed on exit, even on failure:
# namespaces and processes by common.sh, /etc/netns/$TEST-* here; Squid's pid
# file, logs and (no) cache live in $T_DIR.

CK_USER=sensor
# never to be seen in any output; '%3A' and ':' catch a password put in a URL
# or handed to libcurl unescaped (it URL-decodes proxy credentials); a test
# about something else may ask for a plain one (CK_PLAIN_PASSWORD=1)
if [ "${CK_PLAIN_PASSWORD:-0}" = 1 ]; then
  CK_PASSWORD="s3cr3t-$RANDOM$RANDOM-pw"
else
  CK_PASSWORD="s3cr%3At:$RANDOM$RANDOM-pw"
fi
CK_CA="$T_DIR/pki/ca.pem"
CK_PROBE=${CHECKS_PROBE:-}
CK_NETNS_ETC=()

# the exit trap: /etc/netns dirs, then common.sh's cleanup (with our status)
ck_exit() {
  local rc=$? d
  for d in "${CK_NETNS_ETC[@]}"; do rm -rf "$d"; done
  (exit $rc)
  cleanup_all
}
trap ck_exit EXIT

# ck_etc NS -> /etc/netns/$TEST-NS (fresh), removed on exit
ck_etc() {
  local d="/etc/netns/$TEST-$1"
  rm -rf "$d"
  mkdir -p "$d" || die "cannot make $d"
  CK_NETNS_ETC+=("$d")
  # no name server: a name not in hosts fails at once (nothing listens on lo)
  echo "nameserver 127.0.0.1" >"$d/resolv.conf"
  printf '127.0.0.1 localhost\n' >"$d/hosts"
  chmod 755 "$d"
  chmod 644 "$d/resolv.conf" "$d/hosts"
}

# ck_net -> the four namespaces, their links and routes (first: checks-probe
# is there, unless CK_NO_PROBE=1: the fixtures' own test)
ck_net() {
  local n
  [ "${CK_NO_PROBE:-0}" = 1 ] || [ -x "$CK_PROBE" ] ||
    die "CHECKS_PROBE (checks-probe) is not set or not executable: '$CK_PROBE'"
  for n in gw azure proxy dmz; do netns_new $n; done
  veth_pair gw p1 100.64.10.1/30 azure a1 100.64.10.2/30
  veth_pair gw p2 100.64.10.5/30 azure a2 100.64.10.6/30
  veth_pair azure tp 100.64.3.1/24 proxy eth0 100.64.3.3/24
  veth_pair azure td 100.64.4.1/24 dmz eth0 100.64.4.4/24
  nsx azure sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 || die "forwarding in azure"
  nsx gw ip route add 100.64.0.0/10 via 100.64.10.2 dev p1
  nsx gw ip route add 100.64.0.0/10 via 100.64.10.6 dev p2 metric 200
  nsx gw ip route add 100.64.0.0/10 via 100.64.10.2 dev p1 src 100.64.10.1 table 101
  nsx gw ip route add 100.64.0.0/10 via 100.64.10.6 dev p2 src 100.64.10.5 table 102
  nsx gw ip rule add fwmark 1 lookup 101
  nsx gw ip rule add fwmark 2 lookup 102
  nsx gw ip rule add from 100.64.10.1 lookup 101
  nsx gw ip rule add from 100.64.10.5 lookup 102
  nsx proxy ip route add 100.64.0.0/10 via 100.64.3.1
  nsx dmz ip route add 100.64.0.0/10 via 100.64.4.1
  # cutting a path for one endpoint (ck_cut): rules land in chain "cut"
  nsx azure nft -f - <<'NFT' || die "nftables in azure"
table inet ck {
  chain cut {}
  chain pre {
    type filter hook prerouting priority -100; policy accept;
    jump cut
  }
}
NFT
  chmod 711 "$T_DIR" # Squid (user proxy) reaches its own directory below
  mkdir -p "$T_DIR/pki"
  ck_etc gw
  : >"$T_DIR/hosts"
  chmod 644 "$T_DIR/hosts"
}

# ck_cut DEV ADDR -> packets from gw's path on azure's DEV (a1, a2) to ADDR
# are dropped; ck_mend undoes every cut
ck_cut() { nsx azure nft add rule inet ck cut iifname "$1" ip daddr "$2" drop; }
ck_mend() { nsx azure nft flush chain inet ck cut; }

# ck_name ADDR NAME -> NAME resolves to ADDR in gw and in both Squids
ck_name() {
  echo "$1 $2" >>"/etc/netns/$TEST-gw/hosts"
  echo "$1 $2" >>"$T_DIR/hosts"
}

# ---- certificates -------------------------------------------------------

# ck_ossl ARGS... -> openssl, its chatter in $T_DIR/pki/openssl.log
ck_ossl() { openssl "$@" >>"$T_DIR/pki/openssl.log" 2>&1; }

# ck_ca NAME "CN" -> a CA: $T_DIR/pki/NAME.pem, NAME.key, with an `openssl ca`
# database (for certificates with dates in the past)
ck_ca() {
  local d="$T_DIR/pki" name=$1 cn=$2
  [ -f "$d/leaf.key" ] || ck_ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$d/leaf.key" || die "leaf key"
  ck_ossl req -x509 -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.pem" \
    -days 30 -subj "/CN=$cn" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign || die "CA $name"
  mkdir -p "$d/$name.db"
  : >"$d/$name.db/index.txt"
  cat >"$d/$name.cnf" <<CNF
[ca]
default_ca = this
[this]
dir = $d/$name.db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
certificate = $d/$name.pem
private_key = $d/$name.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
email_in_dn = no
[anything]
commonName = supplied
CNF
  printf '%s\n' "$(openssl rand -hex 8)" >"$d/$name.db/serial"
}

# ck_utc SECONDS_FROM_NOW -> YYYYMMDDHHMMSSZ (openssl ca -startdate/-enddate)
ck_utc() { date -u -d "@$(($(date +%s) + $1))" +%Y%m%d%H%M%SZ; }

# ck_cert OUT CA "CN" "SAN names" [FROM_S TO_S] -> leaf certificate OUT (PEM)
# for the shared leaf key, valid from FROM_S to TO_S seconds from now
# (default -1 day .. +30 days), signed by CA (ck_ca's NAME)
ck_cert() {
  local out=$1 ca=$2 cn=$3 sans=$4 from=${5:--86400} to=${6:-2592000}
  local d="$T_DIR/pki" s san=""
  for s in $sans; do san="${san:+$san,}DNS:$s"; done
  ck_ossl req -new -key "$d/leaf.key" -subj "/CN=$cn" -addext "subjectAltName=$san" \
    -out "$out.csr" || die "csr $out"
  ck_ossl ca -batch -config "$d/$ca.cnf" -in "$out.csr" -out "$out" -notext \
    -startdate "$(ck_utc "$from")" -enddate "$(ck_utc "$to")" || die "cert $out"
}

# ---- endpoints ------------------------------------------------------------

# ck_listening NS ADDR PORT -> something listens on ADDR:PORT in netns NS
ck_listening() { nsx "$1" ss -Hltn "src $2 and sport = :$3" | grep -q .; }

# ck_up PID NS ADDR PORT -> PID listens on ADDR:PORT, or is gone (wait_for
# stops either way; the caller checks which)
ck_up() { ck_listening "$2" "$3" "$4" || ! kill -0 "$1" 2>/dev/null; }

# ck_endpoint NAME ADDR VARIANT [CERT] [PORT] -> openssl s_server in azure on
# ADDR:PORT (default 443), NAME resolving to ADDR. VARIANT: tls12 (TLS 1.2,
# ECDHE-RSA-AES256-GCM-SHA384), tls13 (TLS 1.3, TLS_AES_256_GCM_SHA384),
# tls11 (TLS 1.1 only), aes128 (TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256 only).
# CERT: a PEM file for the shared leaf key, default one for NAME from the
# test's CA ($T_DIR/pki/ADDR.pem). Returns once it listens.
ck_endpoint() {
  local name=$1 addr=$2 variant=$3 cert=${4:-} port=${5:-443} opts
  case $variant in
  tls12) opts=(-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384) ;;
  tls13) opts=(-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384) ;;
  tls11) opts=(-tls1_1 -cipher DEFAULT@SECLEVEL=0) ;;
  aes128) opts=(-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256) ;;
  *) die "ck_endpoint: unknown variant $variant" ;;
  esac
  [ -f "$T_DIR/pki/ca.pem" ] || ck_ca ca "Test Azure CA"
  if [ -z "$cert" ]; then
    cert="$T_DIR/pki/$addr.pem" # (by address: a name may be longer than a file name)
    [ -f "$cert" ] || ck_cert "$cert" ca "$name" "$name"
  fi
  ip -n "$TEST-azure" addr show dev lo | grep -q " $addr/" ||
    nsx azure ip addr add "$addr/32" dev lo
  ck_name "$addr" "$name"
  spawn "$T_DIR/s_server-$addr-$port.log" ip netns exec "$TEST-azure" openssl s_server -www \
    -accept "$addr:$port" -cert "$cert" -key "$T_DIR/pki/leaf.key" "${opts[@]}"
  wait_for 10 "s_server $name on $addr:$port" ck_up "$LAST_PID" azure "$addr" "$port"
  ck_listening azure "$addr" "$port" ||
    die "s_server $name ($variant) does not listen: $(cat "$T_DIR/s_server-$addr-$port.log")"
}

# ---- proxies ----------------------------------------------------------------

# ck_squid NS NAME CONF_TAIL ADDR:PORT... -> Squid NAME (visible_hostname) in
# netns NS with its directory $T_DIR/squid-NAME (owned by user proxy): no
# cache, its own hosts_file, logs there, then CONF_TAIL (access rules).
# Returns once every ADDR:PORT listens.
ck_squid() {
  local ns=$1 name=$2 tail=$3; shift 3
  local dir="$T_DIR/squid-$name" hp
  mkdir -p "$dir"
  cp "$T_DIR/hosts" "$dir/hosts"
  {
    for hp in "$@"; do
      case $hp in
      *:3129) echo "http_port $hp name=authport" ;;
      *) echo "http_port $hp" ;;
      esac
    done
    cat <<CONF
visible_hostname $name
pid_filename $dir/squid.pid
cache_log $dir/cache.log
access_log stdio:$dir/access.log
cache_store_log none
netdb_filename none
coredump_dir $dir
cache deny all
cache_mem 4 MB
hosts_file $dir/hosts
dns_nameservers 127.0.0.1
dns_timeout 2 seconds
shutdown_lifetime 0 seconds
pinger_enable off
icp_port 0
htcp_port 0
acl CONNECT method CONNECT
acl tls_ports port 443 5671 8883
acl endpoints dstdomain .azure-devices.net .blob.core.windows.net .servicebus.windows.net
${ck_squid_extra:-}
$tail
CONF
  } >"$dir/squid.conf"
  chown -R proxy:proxy "$dir"
  chmod 700 "$dir"
  spawn "$dir/stderr.log" ip netns exec "$TEST-$ns" /usr/sbin/squid -N -f "$dir/squid.conf"
  for hp in "$@"; do
    wait_for 20 "$name on $hp" ck_up "$LAST_PID" "$ns" "${hp%:*}" "${hp##*:}"
    ck_listening "$ns" "${hp%:*}" "${hp##*:}" ||
      die "$name does not listen on $hp: $(tail -n 20 "$dir/cache.log" "$dir/stderr.log" 2>&1)"
  done
}

# ck_htpasswd NAME -> the credentials file of Squid NAME (user $CK_USER)
ck_htpasswd() {
  local f="$T_DIR/squid-$1/passwd"
  mkdir -p "$T_DIR/squid-$1"
  htpasswd -bc "$f" "$CK_USER" "$CK_PASSWORD" 2>/dev/null || die "htpasswd"
  chown proxy:proxy "$f"
  chmod 600 "$f"
}

# the Squid rules: basic credentials (checked on port 3129 / everywhere)
ck_auth_rules() {
  cat <<CONF
auth_param basic program /usr/lib/squid/basic_ncsa_auth $T_DIR/squid-$1/passwd
auth_param basic realm $1
auth_param basic children 2 startup=1 idle=1
acl auth_ok proxy_auth REQUIRED
CONF
}

# ck_azure_proxy -> "azure-proxy" in netns proxy: 100.64.3.3:3128 without
# credentials, 100.64.3.3:3129 with; CONNECT only to the endpoint domains on
# the TLS ports
ck_azure_proxy() {
  ck_htpasswd azure-proxy
  ck_squid proxy azure-proxy "$(ck_auth_rules azure-proxy)
acl authport myportname authport
http_access deny !CONNECT
http_access deny !tls_ports
http_access deny !endpoints
http_access deny authport !auth_ok
http_access allow endpoints
http_access deny all" 100.64.3.3:3128 100.64.3.3:3129
}

# ck_dmz_proxy -> "dmz-proxy" in netns dmz on 100.64.4.4:3128: credentials
# required, everything through its parent azure-proxy:3128
ck_dmz_proxy() {
  ck_htpasswd dmz-proxy
  ck_squid dmz dmz-proxy "$(ck_auth_rules dmz-proxy)
cache_peer 100.64.3.3 parent 3128 0 no-query no-digest default name=azure-proxy
never_direct allow all
http_access deny !CONNECT
http_access deny !tls_ports
http_access deny !endpoints
http_access deny !auth_ok
http_access allow endpoints
http_access deny all" 100.64.4.4:3128
}

# ck_urlenc TEXT -> TEXT percent-encoded (curl's --proxy-user decodes)
ck_urlenc() { jq -rn --arg s "$1" '$s | @uri'; }

# ck_password_file -> a file holding $CK_PASSWORD (0600), its path on stdout
ck_password_file() {
  local f="$T_DIR/password"
  printf '%s\n' "$CK_PASSWORD" >"$f"
  chmod 600 "$f"
  echo "$f"
}

# ---- the probe ----------------------------------------------------------------

# ck_probe ARGS... -> runs checks-probe in gw (with --ca $CK_CA unless
# CK_NO_CA=1), for at most 60 s; its stdout in $CK_OUT, stderr in $CK_ERR,
# exit status in $CK_RC (logged; 124: it did not end)
CK_N=0
ck_probe() {
  [ -x "$CK_PROBE" ] || die "CHECKS_PROBE (checks-probe) is not set or not executable: '$CK_PROBE'"
  CK_N=$((CK_N + 1))
  CK_OUT="$T_DIR/probe-$CK_N.out"
  CK_ERR="$T_DIR/probe-$CK_N.err"
  [ -f "$CK_CA" ] || ck_ca ca "Test Azure CA"
  local ca=(--ca "$CK_CA")
  [ "${CK_NO_CA:-0}" = 1 ] && ca=()
  # bounded: a probe that hangs ends here (exit 124), not at CTest's timeout
  timeout -k 5 $((60 * ${TEST_TIME_SCALE:-1})) ip netns exec "$TEST-gw" "$CK_PROBE" "${ca[@]}" "$@" \
    >"$CK_OUT" 2>"$CK_ERR" {T_STDOUT}>&- {T_LOCK}>&-
  CK_RC=$?
  log "checks-probe $* -> exit $CK_RC"
  sed 's/^/  | /' "$CK_OUT" "$CK_ERR"
}

# ck_row ENDPOINT FIELD [PATH] [ROUND] -> FIELD of the last row for ENDPOINT
# (host:port) in $CK_OUT (of PATH, of ROUND when given); "null" for null
ck_row() {
  jq -rs --arg e "$1" --arg f "$2" --arg p "${3:-}" --arg r "${4:-}" '
    [ .[] | select(.endpoint? == $e)
          | select($p == "" or .path == $p)
          | select($r == "" or (.round | tostring) == $r) ] | last
    | if . == null then "NO ROW" else (.[$f] | if . == null then "null" else tostring end) end' \
    "$CK_OUT"
}
# ck_path PATH FIELD -> FIELD of the last path line for PATH in $CK_OUT
ck_path() {
  jq -rs --arg p "$1" --arg f "$2" '
    [ .[] | select(has("ok") and .path == $p) ] | last
    | if . == null then "NO PATH LINE" else (.[$f] | if . == null then "null" else tostring end) end' \
    "$CK_OUT"
}

# assertions (each counts): the row's FIELD is exactly VALUE
ck_is() {
  local e=$1 f=$2 want=$3 p=${4:-} got
  got=$(ck_row "$e" "$f" "$p")
  T_CHECKS=$((T_CHECKS + 1))
  if [ "$got" = "$want" ]; then
    log "ok: $e${p:+ on $p}: $f = $want"
  else
    fail "$e${p:+ on $p}: $f is '$got', expected '$want'"
  fi
}
ck_path_is() {
  local p=$1 f=$2 want=$3 got
  got=$(ck_path "$p" "$f")
  T_CHECKS=$((T_CHECKS + 1))
  if [ "$got" = "$want" ]; then log "ok: path $p: $f = $want"; else fail "path $p: $f is '$got', expected '$want'"; fi
}
ck_rc_is() {
  T_CHECKS=$((T_CHECKS + 1))
  if [ "$CK_RC" = "$1" ]; then log "ok: exit status $1"; else fail "exit status $CK_RC, expected $1"; fi
}
# ck_fail_reason ENDPOINT PHASE REASON [ARGS...] -> one check of ENDPOINT with
# ARGS fails (exit 1) at PHASE with exactly REASON
ck_fail_reason() {
  local e=$1 phase=$2 reason=$3; shift 3
  ck_probe "$@" "$e"
  ck_rc_is 1
  ck_is "$e" verdict fail
  ck_is "$e" phase "$phase"
  ck_is "$e" reason "$reason"
  ck_is "$e" fault service # one path, failing on it: not the path's fault
}
