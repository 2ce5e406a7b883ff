#!/usr/bin/env bash
# The MSS clamp installed by tunneld itself on an XFRM interface
# (docs/preflight.md): needs a kernel with XFRM interfaces (the Debian 12
# VM; this test exits 77 on a kernel without them).
#  - start with mss = 1350: table inet tunneld_mss holds the rules for
#    xfrm-az in both directions; tunnelctl preflight counts no problem
#  - the table deleted: tunnelctl preflight names it missing, with the fix;
#    SIGHUP puts it back; a changed mss (1300) applies at SIGHUP
#  - strict rp_filter on the XFRM interface is named
#  - SIGTERM without flush_on_exit: the table stays; with --flush-on-exit:
#    it goes; mss = 0: no table at start
#
#   preflight_xfrm.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-prexf}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

netns_new gw
if ! ip -n "$TEST-gw" link add xfrm-probe type xfrm if_id 7 2>"$T_DIR/probe.err"; then
  echo "SKIP: this kernel has no XFRM interfaces ($(head -1 "$T_DIR/probe.err")): run in the Debian 12 VM" >&2
  exit 77
fi
ip -n "$TEST-gw" link del xfrm-probe
netns_new er
veth_pair gw er0 192.0.2.1/24 er eth0 192.0.2.2/24
nsx gw sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
  net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.er0.rp_filter=0 || die "sysctls"

echo "connections { }" >"$T_DIR/swanctl.conf"
write_conf() { # MSS
  tunneld_write_conf gw "$T_DIR/swanctl.conf" "dataplane = xfrm"
  sed -i '/dataplane = libipsec/d' "$T_DIR/gw/tunneld.conf"
  cat >>"$T_DIR/gw/tunneld.conf" <<CONF
tunneld {
  xfrm {
    interfaces {
      xfrm-az {
        if_id = 42
        mss = $1
      }
    }
  }
  sites {
    azure {
      prefixes = 100.64.2.0/24
      paths {
        er {
          type = expressroute
          dev = er0
          gateway4 = 192.0.2.2
        }
      }
    }
  }
}
CONF
}
rule() { # FAMILY DIR DEV MSS
  echo "meta nfproto $1 $2 \"$3\" tcp flags syn / syn,rst tcp option maxseg size > $4 tcp option maxseg size set $4"
}
has_rules() { # MSS: both directions, IPv4 at MSS, IPv6 at MSS - 20
  local t d
  t=$(nsx gw nft list table inet tunneld_mss 2>/dev/null) || return 1
  for d in oifname iifname; do
    grep -qF "$(rule ipv4 $d xfrm-az "$1")" <<<"$t" && grep -qF "$(rule ipv6 $d xfrm-az $(($1 - 20)))" <<<"$t" || return 1
  done
}
no_table() { ! nsx gw nft list table inet tunneld_mss >/dev/null 2>&1; }
problems() { tctl gw -j preflight | python3 -c 'import json,sys; print(json.load(sys.stdin)["problems"])'; }
problems_are() { [ "$(problems)" = "$1" ]; }
pf_has() { tctl gw preflight | grep -qF -- "$1"; }
hup() {
  local n
  n=$(grep -c 'preflight: [0-9]* problem' "$T_DIR/gw/tunneld.log")
  kill -HUP "$TUNNELD_PID_gw"
  wait_for 20 "reload done" sh -c "[ \$(grep -c 'preflight: [0-9]* problem' '$T_DIR/gw/tunneld.log') -gt $n ]"
}
stop() {
  kill -TERM "$TUNNELD_PID_gw"
  daemon_exit gw $(scaled 30)
  check "tunneld stops cleanly (got $EXIT_STATUS)" [ "$EXIT_STATUS" = 0 ]
}

write_conf 1350
daemon_start gw gw -d 1
check "start installs the clamp for xfrm-az, both directions, 1350" wait_for 20 "table" has_rules 1350
check "the log says so" wait_for 10 "log" grep -q "preflight: TCP MSS clamp in table inet tunneld_mss on 1 XFRM interface" "$T_DIR/gw/tunneld.log"
check "tunnelctl preflight: no problem" wait_for 10 "0 problems" problems_are 0
check "... shows the clamp" pf_has "MSS clamp 1350 on xfrm-az"

nsx gw nft delete table inet tunneld_mss
check "the table deleted: tunnelctl preflight counts it" problems_are 1
check "... named missing, with the fix" pf_has "table inet tunneld_mss is missing"
check "... fix: systemctl reload" pf_has "fix: systemctl reload tunneld"
hup
check "SIGHUP puts it back" has_rules 1350
check "... no problem" problems_are 0
nsx gw nft add rule inet tunneld_mss forward counter
check "a rule added behind tunneld's back is named as a change" pf_has "table inet tunneld_mss was changed"

write_conf 1300
hup
check "mss = 1300 applies at SIGHUP" has_rules 1300
check "... no problem" problems_are 0

nsx gw sysctl -qw net.ipv4.conf.xfrm-az.rp_filter=1
check "strict rp_filter on the XFRM interface is named with its fix" pf_has "fix: sysctl -w net.ipv4.conf.xfrm-az.rp_filter=2"
nsx gw sysctl -qw net.ipv4.conf.xfrm-az.rp_filter=0

stop
check "without flush_on_exit the table stays" has_rules 1300

daemon_start gw gw -d 1 --flush-on-exit
check "start again (adopting xfrm-az): the clamp" wait_for 20 "table" has_rules 1300
stop
check "--flush-on-exit: the table is removed" no_table

write_conf 0
daemon_start gw gw -d 1
check "mss = 0: tunnelctl preflight shows no clamp" wait_for 10 "no clamp" pf_has "no MSS clamp"
check "mss = 0: no table" no_table
stop
check "no sanitizer report" no_sanitizer_report gw
finish
