#!/bin/bash
# The proxy password (from --password-file) is in no output of checks-probe
# (stdout, stderr), neither plain nor as the Basic credentials Squid sees
# (base64 of user:password), whatever the outcome (pass through the chain,
# 407 refused, 403, a proxy that never answers), nor in the process' argv
# or environment while it runs.
TEST=cksecret
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint $B 100.64.2.10 tls12 "" 8443
ck_azure_proxy
ck_dmz_proxy
pw=$(ck_password_file)
b64=$(printf '%s:%s' "$CK_USER" "$CK_PASSWORD" | base64 -w0)
# the gateway's view of the dmz-proxy is cut: a CONNECT that never completes
nsx dmz ip addr add 100.64.4.5/24 dev eth0
spawn "$T_DIR/silent.log" ip netns exec "$TEST-dmz" python3 -c '
import socket, time
s = socket.socket(); s.bind(("100.64.4.5", 3128)); s.listen(8)
time.sleep(120)'
wait_for 10 "silent proxy" ck_up "$LAST_PID" dmz 100.64.4.5 3128

no_secret() {
  ! grep -aqF -e "$CK_PASSWORD" -e "$b64" "$CK_OUT" "$CK_ERR"
}
U=(--user "$CK_USER" --password-file "$pw" --via dmz-proxy,azure-proxy)
ck_probe --proxy 100.64.4.4:3128 "${U[@]}" $B:443
ck_rc_is 0
check "password not in the output of a pass" no_secret
ck_probe --proxy 100.64.4.4:3128 "${U[@]}" $B:8443
ck_rc_is 1
check "password not in the output of a 403" no_secret
ck_probe --proxy 100.64.3.3:3129 --user $CK_USER --password-file "$pw" --via azure-proxy $B:443
ck_rc_is 0
check "password not in the output of a pass at azure-proxy" no_secret
printf '%s\n' "${CK_PASSWORD}x" >"$T_DIR/wrong"
ck_probe --proxy 100.64.3.3:3129 --user $CK_USER --password-file "$T_DIR/wrong" --via azure-proxy $B:443
ck_rc_is 1
check "the wrong password not in the output of a 407" \
  eval '! grep -aqF -e "${CK_PASSWORD}x" -e "$(printf "%s:%sx" $CK_USER "$CK_PASSWORD" | base64 -w0)" "$CK_OUT" "$CK_ERR"'

# while it waits for the silent proxy: argv and environment of the process
CK_N=$((CK_N + 1))
ip netns exec "$TEST-gw" "$CK_PROBE" --ca "$CK_CA" --proxy 100.64.4.5:3128 "${U[@]}" \
  --proxy-timeout 5000 $B:443 >"$T_DIR/probe-$CK_N.out" 2>"$T_DIR/probe-$CK_N.err" \
  {T_STDOUT}>&- {T_LOCK}>&- &
pid=$! # (ip netns exec execs the probe: this is its process)
silent_conn() { nsx dmz ss -Htn state established "sport = :3128" | grep -q 100.64.4.5; }
check "the probe is connected to the silent proxy" wait_for 10 "CONNECT pending" silent_conn
check "the process is the probe" [ "$(readlink /proc/$pid/exe)" = "$(readlink -f "$CK_PROBE")" ]
check "password not in argv" eval '! tr "\0" "\n" </proc/$pid/cmdline | grep -aqF -e "$CK_PASSWORD" -e "$b64"'
check "argv names the password file" eval 'tr "\0" "\n" </proc/$pid/cmdline | grep -qxF "$pw"'
check "password not in the environment" eval '! tr "\0" "\n" </proc/$pid/environ | grep -aqF -e "$CK_PASSWORD" -e "$b64"'
wait "$pid"
CK_RC=$?
CK_OUT="$T_DIR/probe-$CK_N.out" CK_ERR="$T_DIR/probe-$CK_N.err"
ck_rc_is 1
check "password not in the output of a proxy timeout" no_secret
finish
