#!/usr/bin/env bash
# Probe settings that path health cannot run are refused by `tunneld -n`
# and by start alike, naming the key, and a refused start leaves the kernel
# as it found it (no rule, no route of tunneld's tables):
#  - echo timeout above interval * window (window = 1, timeout 2 s);
#  - two BFD sessions the peer cannot tell apart (same remote, both
#    multihop, no `local`): both paths named;
#  - a BFD remote that is one of this host's own addresses.
#
#   health_conf_refuse.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-hcrefuse}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/health/health_lib.sh"
health_gw
health_far er er0 192.0.2.1 192.0.2.2
health_far bk bk0 198.51.100.1 198.51.100.2
health_swanctl "$T_DIR/swanctl.conf"

# sites BODY -> gw's tunneld.conf with one site azure whose paths are BODY
sites() {
  tunneld_write_conf gw "$T_DIR/swanctl.conf"
  printf 'tunneld {\n  sites {\n    azure {\n      prefixes = 100.64.2.0/24\n      paths {\n%s\n      }\n    }\n  }\n}\n' \
    "$1" >>"$T_DIR/gw/tunneld.conf"
}
path() { # NAME DEV GW SECTION
  printf '        %s {\n          type = expressroute\n          dev = %s\n          gateway4 = %s\n%s\n        }\n' \
    "$1" "$2" "$3" "$4"
}
n_refuses() { # TEXT: -n exits non-zero and says TEXT
  local rc=0
  nsx gw "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/n.out" 2>&1 || rc=$?
  log "-n rc=$rc: $(head -c 600 "$T_DIR/n.out" | tr '\n' ' ')"
  [ "$rc" != 0 ] && grep -qF -- "$1" "$T_DIR/n.out"
}
kernel_clean() {
  local r t
  r=$(nsx gw ip rule | grep -c "lookup 116") t=$(nsx gw ip route show table all | grep -c "table 116")
  log "rules/routes of tunneld's tables left: $r/$t"
  [ "$r" = 0 ] && [ "$t" = 0 ]
}
start_refused() { # TEXT: start exits non-zero saying TEXT, nothing left in the kernel
  local rc=0
  timeout -k 1 30 ip netns exec "$TEST-gw" "$TUNNELD" -f "$T_DIR/gw/tunneld.conf" -d 1 \
    >"$T_DIR/start.out" 2>&1 || rc=$?
  log "start rc=$rc: $(grep -F -- "$1" "$T_DIR/start.out" | head -1)"
  [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -qF -- "$1" "$T_DIR/start.out" && kernel_clean
}

echo1=$'          echo {\n            target = 100.64.2.1\n            window = 1\n          }'
sites "$(path er er0 192.0.2.2 "$echo1")"
check "-n refuses echo timeout > interval * window, naming the key" \
  n_refuses "tunneld.sites.azure.paths.er.echo.timeout: 2000 ms: expected at most interval * window (1000 ms)"
check "start refuses it too, and leaves the kernel clean" \
  start_refused "2000 ms: expected at most interval * window (1000 ms)"

mh=$'          bfd {\n            remote = 100.64.2.1\n            multihop = yes\n          }'
sites "$(path er er0 192.0.2.2 "$mh")$(path bk bk0 198.51.100.2 "$mh")"
check "-n refuses two BFD sessions the peer cannot tell apart, naming both paths" \
  n_refuses "tunneld.sites.azure.paths.er.bfd and tunneld.sites.azure.paths.bk.bfd: both are multihop BFD sessions to 100.64.2.1"
check "start refuses them too, and leaves the kernel clean" start_refused "paths.bk.bfd: both are multihop"
mh_er=$'          bfd {\n            remote = 100.64.2.1\n            local = 192.0.2.1\n            multihop = yes\n          }'
mh_bk=$'          bfd {\n            remote = 100.64.2.1\n            local = 198.51.100.1\n            multihop = yes\n          }'
sites "$(path er er0 192.0.2.2 "$mh_er")$(path bk bk0 198.51.100.2 "$mh_bk")"
nrc=0
nsx gw "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/n.out" 2>&1 || nrc=$?
check "-n accepts them with a different local address each (rc $nrc)" test "$nrc" = 0

self=$'          bfd {\n            remote = 192.0.2.1\n            multihop = yes\n          }'
sites "$(path er er0 192.0.2.2 "$self")"
check "-n refuses a BFD remote that is this host's address, naming the key" \
  n_refuses "tunneld.sites.azure.paths.er.bfd.remote: 192.0.2.1 is an address of this host"
check "start refuses it too, and leaves the kernel clean" start_refused "bfd.remote: 192.0.2.1 is an address of this host"
finish
