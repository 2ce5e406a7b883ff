#!/usr/bin/env bash
# Issue 7 item 18 (logging side): IKE and ESP key material (strongSwan's
# level 4: "Sk_ei secret", "shared Diffie Hellman secret", "SKEYSEED",
# "encryption initiator key") is never logged unless asked for by name.
#  - -d 4 and a tunnel coming up: the default loggers log at 3 (a warning
#    says so), no key material;
#  - --log-keys -d 4: key material is logged (this proves the check above can
#    see it) and a loud warning says so;
#  - a filelog with default = 4: refused (exit 1, one line naming the key);
#  - a filelog with ike = 4 (a group by name): logs IKE keys, warned loudly.
#
#   daemon_logkeys.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-dlogk}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
. "$REPO/tests/integration/daemon_lib.sh"

KEYS='Sk_[a-z]* secret|shared Diffie Hellman secret|SKEYSEED|encryption initiator key'
azure_netns gw az
azure_gateway_conf "$T_DIR/peer.conf" log-keys-test
azure_site_conf "$T_DIR/swanctl.conf" log-keys-test
charon_peer_start az "$T_DIR/peer.conf"
conf="$T_DIR/gw/tunneld.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
# no filelog: the default loggers (stdout and syslog) get the -d level
python3 - "$conf" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r"  filelog \{\n    main \{\n.*?\n    \}\n  \}\n", "", s, flags=re.S)
open(sys.argv[1], "w").write(s)
PY
check "the settings have no filelog section" sh -c "! grep -q filelog '$conf'"
cp "$conf" "$T_DIR/base.conf"
out="$T_DIR/gw/stderr.log"

# up ARGS... -> tunneld with ARGS until the tunnel is up (then stopped)
up() {
  daemon_start gw gw "$@"
  check "tunnel up (tunneld $*)" wait_for $(scaled 30) "tunnel up" child_is gw azure sensors up
  check "tunneld $* stops cleanly" tunneld_stop gw
}

up -d 4
check "-d 4: the output is verbose (level 3 is there: natd_chunk dumps)" grep -q "natd_chunk =>" "$out"
check "-d 4: a warning says the level is capped at 3" \
  grep -q "tunneld: -d 4 would log IKE and ESP key material: the default loggers log at level 3 (start with --log-keys to log keys)" "$out"
check "-d 4: no key material is logged" sh -c "! grep -Eq '$KEYS' '$out'"
cp "$out" "$T_DIR/d4.log"

up -d 4 --log-keys
check "--log-keys -d 4: key material is logged (the check above can see it)" grep -Eq "$KEYS" "$out"
check "--log-keys -d 4: a loud warning says so" \
  grep -q "WARNING: -d 4 with --log-keys logs IKE and ESP key material (secrets)" "$out"

cp "$T_DIR/base.conf" "$conf"
printf 'tunneld {\n  filelog {\n    keys {\n      path = %s\n      default = 4\n    }\n  }\n}\n' "$T_DIR/gw/keys.log" >> "$conf"
daemon_spawn gw gw -d 1
daemon_exit gw $(scaled 30)
check "a filelog with default = 4: tunneld refuses to start (exit 1, got $EXIT_STATUS)" [ "$EXIT_STATUS" = 1 ]
check "naming the key" grep -q "not starting: tunneld.filelog.keys.default = 4 would log IKE and ESP key material" "$out"
check "tunneld -n refuses it too" sh -c "! nsx gw '$TUNNELD' -n -f '$conf' >/dev/null 2>&1"
[ "$EXIT_STATUS" != running ] || { kill -TERM "$TUNNELD_PID_gw"; daemon_exit gw 30; }

cp "$T_DIR/base.conf" "$conf"
printf 'tunneld {\n  filelog {\n    keys {\n      path = %s\n      default = 1\n      ike = 4\n    }\n  }\n}\n' "$T_DIR/gw/keys.log" >> "$conf"
up -d 1
check "a filelog with ike = 4 (asked by name): a loud warning names the logger and the group" \
  grep -q "WARNING: tunneld.filelog.keys (level 4 for: ike) logs IKE and ESP key material" "$out"
check "and that log has the IKE keys" grep -Eq "Sk_[a-z]* secret" "$T_DIR/gw/keys.log"
check "no sanitizer report" no_sanitizer_report gw
finish
