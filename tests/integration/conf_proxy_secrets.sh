#!/usr/bin/env bash
# Proxy credentials (issue 10): secrets.proxy-<name> { user, secret } in the
# connections file are checked by tunneld -n, at start and on SIGHUP like
# the other secrets (permissions, encodings, keys), are never sent to
# charon (only the ike secret is loaded), and neither the password nor the
# user appears in any output or log, at the highest log levels (cfg and lib at 4, the rest at 3).
#
#   conf_proxy_secrets.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-cproxysec}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
D=$T_DIR
PW=LEAKpw-$$-Zq7
USER_NAME=LEAKuser-$$

# swanctl FILE PROXY-SECRET-LINE... -> a connection, an ike secret, proxy-dmz
swanctl() {
  local f=$1 l; shift
  {
    printf 'connections {\n  site {\n    remote_addrs = 198.51.100.2\n'
    printf '    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n'
    printf '    children {\n      net {\n        remote_ts = 100.64.2.0/24\n      }\n    }\n'
    printf '  }\n}\nsecrets {\n  ike-site {\n    secret = psk-for-charon\n  }\n  proxy-dmz {\n'
    for l in "$@"; do printf '    %s\n' "$l"; done
    printf '  }\n}\n'
  } > "$f"
  chmod 600 "$f"
}
# the highest levels in the file log (4 by name: default 4 would log key material) (one key per line: values run to the line's end)
tunneld_write_conf gw "$D/swanctl.conf" "filelog {" "main {" "default = 3" "cfg = 4" "lib = 4" "}" "}"
run_n() {
  timeout 20 "$TUNNELD" -n -d 3 -f "$D/gw/tunneld.conf" >"$D/$1.out" 2>&1
  RC=$?
}

swanctl "$D/swanctl.conf" "user = $USER_NAME" "secret = $PW"
run_n good
check "-n: proxy credentials are accepted (exit $RC)" [ "$RC" = 0 ]
chmod 644 "$D/swanctl.conf"
run_n perm
check "-n: a proxy secret in a file others may read is refused (exit $RC)" [ "$RC" = 1 ]
check "-n: the refusal names file, line and mode" \
  grep -qF "$D/swanctl.conf holds secrets (line 18) but its mode 0644" "$D/perm.out"
swanctl "$D/swanctl.conf" "user = $USER_NAME" "secret = 0x$PW"
run_n hex
check "-n: a bad 0x encoding is refused naming file:line, section and key" \
  grep -qF "$D/swanctl.conf:21: secrets.proxy-dmz.secret: the value is not valid hex after 0x" \
  "$D/hex.out"
swanctl "$D/swanctl.conf" "secret = $PW"
run_n nouser
check "-n: a proxy secret without user is refused" \
  grep -qF "secrets.proxy-dmz: no 'user' key (a proxy secret has 'user' and 'secret')" "$D/nouser.out"
swanctl "$D/swanctl.conf" "user = $USER_NAME" "secret = $PW" "id-1 = gw"
run_n idkey
check "-n: an id key in a proxy secret is refused" \
  grep -qF "secrets.proxy-dmz.id-1: unknown key (a proxy secret has 'user' and 'secret')" "$D/idkey.out"

# the daemon: charon gets the ike secret only, at start and on SIGHUP
swanctl "$D/swanctl.conf" "user = $USER_NAME" "secret = $PW"
LOGF=$D/gw/tunneld.log
tunneld_start gw
loaded() { grep -c "1 secrets loaded, 0 rejected" "$LOGF"; }
check "start: charon loaded one secret, none rejected (the proxy secret is not sent)" \
  wait_for 20 "secrets loaded" grep -q "1 secrets loaded, 0 rejected, 0 unloaded" "$LOGF"
n0=$(loaded)
more_loaded() { [ "$(loaded)" -gt "$n0" ]; }
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP: again one secret loaded, none rejected" wait_for 20 "reload" more_loaded
check "no secret in charon's own list but the ike one" \
  sh -c "! grep -q \"load-shared.*proxy\\|proxy-dmz\" '$LOGF'"
check "tunneld stops cleanly" tunneld_stop gw

check "the password is in no -n output, log or stderr" \
  sh -c "! grep -rlF -e '$PW' '$D'/*.out '$LOGF' '$D/gw/stderr.log'"
check "the user is in no -n output, log or stderr" \
  sh -c "! grep -rlF -e '$USER_NAME' '$D'/*.out '$LOGF' '$D/gw/stderr.log'"
check "the log is at levels 3 and 4 (the checks above cover them)" \
  sh -c "grep -c . '$LOGF' | awk '{ exit !(\$1 > 50) }'"
finish
