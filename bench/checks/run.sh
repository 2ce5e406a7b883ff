#!/bin/bash
# Cost of one round of application checks: 3 groups x 3 paths x 5 endpoints
# (45 checks: group "direct", group "proxy" through azure-proxy, group
# "chain" through dmz-proxy (credentials) -> azure-proxy) with checks-probe
# (the real engine: curl's multi interface on one libev loop, concurrency 8),
# against stock `curl --proxy ... -w '%{time_connect} %{time_appconnect}'`
# for the same 45 checks one by one, pinned the same way (--interface DEV,
# the same CA, TLS 1.2+ with the AES-256 ciphers only), in the same run, on
# the fixtures of tests/checks (checks_lib.sh). Prints wall time and CPU
# (user+sys of the processes, from `times`) of both, and their ratios.
# Squid's and the endpoints' CPU is the same for both sides and not counted.
#   bench/checks/run.sh path/to/checks-probe [ROUNDS (default 3)]
set -u
CHECKS_PROBE=${1:?usage: run.sh path/to/checks-probe [ROUNDS]}
CHECKS_PROBE=$(readlink -f "$CHECKS_PROBE")
ROUNDS=${2:-3}
TEST=ckbench
CK_PLAIN_PASSWORD=1 # (cost, not escapes: tests/checks/checks_chain.sh has those)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$REPO/tests/lib/common.sh"
source "$REPO/tests/checks/checks_lib.sh"

ck_net
# a third path: p3 100.64.10.9/30, the least preferred route
veth_pair gw p3 100.64.10.9/30 azure a3 100.64.10.10/30
nsx gw ip route add 100.64.0.0/10 via 100.64.10.10 dev p3 metric 300
EPS=(ingest-1.blob.core.windows.net ingest-2.blob.core.windows.net
  events-1.servicebus.windows.net events-2.servicebus.windows.net contoso-hub.azure-devices.net)
i=10
for e in "${EPS[@]}"; do
  case $e in *servicebus*) v=tls13 ;; *) v=tls12 ;; esac
  ck_endpoint "$e" 100.64.2.$i $v
  i=$((i + 1))
done
ck_azure_proxy
ck_dmz_proxy
pw=$(ck_password_file)
PATHS=(p1 p2 p3)
GROUPS_=(direct proxy chain)
# group_args GROUP -> checks-probe's arguments of the group; curl_args GROUP
group_args() {
  case $1 in
  direct) ;;
  proxy) echo "--proxy 100.64.3.3:3128 --via azure-proxy" ;;
  chain) echo "--proxy 100.64.4.4:3128 --via dmz-proxy,azure-proxy --user $CK_USER --password-file $pw" ;;
  esac
}
curl_cfg() { # a curl config file for the group (the password not in argv)
  local f="$T_DIR/curl-$1.cfg"
  {
    echo "cacert = \"$CK_CA\""
    echo "tlsv1.2"
    echo "ciphers = \"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384\""
    echo "tls13-ciphers = \"TLS_AES_256_GCM_SHA384\""
    echo "connect-timeout = 5"
    echo "max-time = 15"
    echo "silent"
    echo "output = /dev/null"
    case $1 in
    proxy) echo "proxy = \"100.64.3.3:3128\"" ;;
    chain)
      echo "proxy = \"100.64.4.4:3128\""
      echo "proxy-user = \"$CK_USER:$(ck_urlenc "$CK_PASSWORD")\""
      ;;
    esac
  } >"$f"
  echo "$f"
}

# side_probe -> the 45 checks with checks-probe (one run per group, 3 paths)
side_probe() {
  local g p args=()
  for p in "${PATHS[@]}"; do args+=(--path "$p,dev=$p"); done
  for g in "${GROUPS_[@]}"; do
    # shellcheck disable=SC2046
    ip netns exec "$TEST-gw" "$CHECKS_PROBE" --ca "$CK_CA" --group "$g" "${args[@]}" \
      $(group_args "$g") "${EPS[@]/%/:443}" >>"$T_DIR/probe.out" 2>>"$T_DIR/probe.err" ||
      echo "checks-probe group $g: exit $?" >>"$T_DIR/bench.err"
  done
}
# side_curl -> the same 45 checks with curl, one by one
side_curl() {
  local g p e cfg out
  for g in "${GROUPS_[@]}"; do
    cfg="$T_DIR/curl-$g.cfg"
    for p in "${PATHS[@]}"; do
      for e in "${EPS[@]}"; do
        out=$(ip netns exec "$TEST-gw" curl -K "$cfg" --interface "$p" \
          -w '%{time_connect} %{time_appconnect}' "https://$e/") ||
          echo "curl $g $p $e: exit $?" >>"$T_DIR/bench.err"
        echo "$g $p $e $out" >>"$T_DIR/curl.out"
      done
    done
  done
}
# measure SIDE -> "wall_s cpu_s" of one run of the side (children's user+sys)
measure() {
  local t0 t1
  t0=$(now_ms)
  (
    "$1"
    times >"$T_DIR/times" # (not in a pipeline: that would be a fresh subshell)
    tail -n 1 "$T_DIR/times" | awk '{
      n = split($1 " " $2, a, " "); s = 0
      for (i = 1; i <= n; i++) { split(a[i], m, "m"); sub("s", "", m[2]); s += m[1] * 60 + m[2] }
      printf "%.3f\n", s }' >"$T_DIR/cpu"
  )
  t1=$(now_ms)
  echo "$(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.3f", ms / 1000 }') $(cat "$T_DIR/cpu")"
}

for g in "${GROUPS_[@]}"; do curl_cfg "$g" >/dev/null; done
: >"$T_DIR/bench.err"
# warm-up: both sides once (page cache, Squid's helpers), not counted
side_probe
side_curl
[ -s "$T_DIR/bench.err" ] && die "the warm-up failed: $(cat "$T_DIR/bench.err")"
rows=$(jq -s '[.[] | select(.endpoint?) | select(.verdict == "pass")] | length' "$T_DIR/probe.out")
[ "$rows" = 45 ] || die "checks-probe passed $rows of 45 checks (see $T_DIR/probe.out)"
: >"$T_DIR/probe.out"
: >"$T_DIR/curl.out"

printf '%-6s %-28s %-28s %s\n' round "checks-probe wall/cpu s" "curl x45 wall/cpu s" "ratio wall / cpu"
tw=0 tc=0 uw=0 uc=0
for ((r = 1; r <= ROUNDS; r++)); do
  read -r pw_ pc < <(measure side_probe)
  read -r cw cc < <(measure side_curl)
  printf '%-6s %-28s %-28s %s\n' "$r" "$pw_ / $pc" "$cw / $cc" \
    "$(awk -v a="$pw_" -v b="$cw" -v c="$pc" -v d="$cc" 'BEGIN { printf "%.3f / %.3f", a / b, c / d }')"
  tw=$(awk -v a="$tw" -v b="$pw_" 'BEGIN { print a + b }')
  tc=$(awk -v a="$tc" -v b="$pc" 'BEGIN { print a + b }')
  uw=$(awk -v a="$uw" -v b="$cw" 'BEGIN { print a + b }')
  uc=$(awk -v a="$uc" -v b="$cc" 'BEGIN { print a + b }')
done
[ -s "$T_DIR/bench.err" ] && die "a check failed during the rounds: $(cat "$T_DIR/bench.err")"
awk -v a="$tw" -v b="$uw" -v c="$tc" -v d="$uc" -v n="$ROUNDS" 'BEGIN {
  printf "all %d rounds: checks-probe %.3f s wall, %.3f s CPU; curl %.3f s wall, %.3f s CPU\n", n, a, c, b, d
  printf "ratio checks-probe/curl: wall %.3f, CPU %.3f\n", a / b, c / d }'
check "every round ran (no failed check)" [ ! -s "$T_DIR/bench.err" ]
finish
