#!/usr/bin/env bash
# Benchmark (not a test): a SIGHUP reload of a running tunneld whose
# connections file has SMALL, then LARGE connections (each with a secret,
# all already loaded: the diff case), against `tunneld -n` of the same file
# (files, parser, walk: no vici). Prints the time per connection at LARGE
# over the same at SMALL, measured in the same run (1.0x = linear), for the
# reload, -n, and their difference (the vici loop: tunneld's diff, messages,
# charon's load-conn and the SA table).
#
#   bench/conf/reload.sh BUILD_DIR [SMALL=1000] [LARGE=5000]
set -u
BUILD=$(cd "${1:?usage: reload.sh BUILD_DIR [SMALL] [LARGE]}" && pwd)
SMALL=${2:-1000} LARGE=${3:-5000}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TEST=bnconf
TUNNELD=$BUILD/tunneld/tunneld TUNNELCTL=$BUILD/tunnelctl/tunnelctl
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
gen() {  # gen N FILE (SECRETS=0: without the secrets)
  python3 - "$1" "$2" "${SECRETS:-1}" <<'PY'
import sys
n, path, secrets = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
with open(path, "w") as f:
    f.write("connections {\n")
    for i in range(n):
        f.write(f"  c{i} {{\n    remote_addrs = 192.0.2.{i % 250 + 1}\n    local {{\n      auth = psk\n"
                f"    }}\n    remote {{\n      auth = psk\n    }}\n    children {{\n      net {{\n"
                f"        local_ts = 100.64.{i % 256}.0/24\n      }}\n    }}\n  }}\n")
    f.write("}\nsecrets {\n")
    for i in range(n if secrets else 0):
        f.write(f"  ike-c{i} {{\n    id-1 = c{i}@sensors\n    secret = 0x{i:08x}\n  }}\n")
    f.write("}\n")
PY
}
now() { date +%s.%N; }
LOGF=$T_DIR/gw/tunneld.log
loads() { grep -c "connections loaded, " "$LOGF"; }
# reload N -> seconds from SIGHUP to the "N connections loaded" line
reload() {
  local before t0
  before=$(loads)
  t0=$(now)
  kill -HUP "$TUNNELD_PID_gw"
  for _ in $(seq 60000); do [ "$(loads)" -gt "$before" ] && break; sleep 0.01; done
  grep "connections loaded, " "$LOGF" | tail -1 | grep -q ": $1 connections loaded, 0 rejected" ||
    die "reload of $1 connections failed: $(tail -3 "$LOGF")"
  python3 -c "print($(now) - $t0)"
}
check_n() {
  local t0
  t0=$(now)
  "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >/dev/null 2>&1 || die "tunneld -n failed"
  python3 -c "print($(now) - $t0)"
}

gen "$SMALL" "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
tunneld_start gw
wait_for 300 "first load" sh -c "grep -q ': $SMALL connections loaded' '$LOGF'" || die "no first load"
declare -A R N
for n in "$SMALL" "$LARGE"; do
  gen "$n" "$T_DIR/swanctl.conf"
  reload "$n" >/dev/null          # brings the file in
  R[$n]=$(reload "$n")            # all loaded already: the diff case
  N[$n]=$(check_n)
  log "$n connections: reload ${R[$n]} s, -n ${N[$n]} s"
done
python3 - "$SMALL" "$LARGE" "${R[$SMALL]}" "${R[$LARGE]}" "${N[$SMALL]}" "${N[$LARGE]}" <<'PY'
import sys
s, l = int(sys.argv[1]), int(sys.argv[2])
rs, rl, ns, nl = map(float, sys.argv[3:7])
def line(what, a, b):
    pa, pb = a / s * 1e6, b / l * 1e6
    print(f"{what:<22} {a:9.3f} s {b:9.3f} s {pa:9.1f} us {pb:9.1f} us {pb / pa:6.2f}x")
print(f"reload of {s} vs {l} connections (each with a secret, all loaded already)")
print(f"{'':<22} {'small':>11} {'large':>11} {'per conn':>12} {'per conn':>12} {'ratio':>7}")
line("SIGHUP reload", rs, rl)
line("tunneld -n", ns, nl)
line("reload - (-n): vici", rs - ns, rl - nl)
print("ratio: time per connection at the large count over the small one (1.0x = linear)")
PY
tunneld_stop gw || die "tunneld did not stop cleanly"
T_CHECKS=1 # finish() requires an assertion: the run itself
finish
