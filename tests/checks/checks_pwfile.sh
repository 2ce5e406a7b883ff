#!/bin/bash
# Hostile password files (--password-file): a file that never ends
# (/dev/zero), a FIFO nobody writes, a 1 MiB file, a missing file. Each is
# refused (exit 2, the file named on stderr) within 10 s and without growing
# past 200 MB (the probe is watched and killed past either bound, so a
# failing probe cannot eat the machine); a good file still works.
TEST=ckpwfile
CK_PLAIN_PASSWORD=1 # (escapes: checks_chain, checks_auth, checks_secrets)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_azure_proxy
pw=$(ck_password_file)
mkfifo "$T_DIR/fifo"
head -c 1048576 /dev/urandom >"$T_DIR/big"
chmod 600 "$T_DIR/big"

# bounded FILE -> runs the probe with --password-file FILE, watched: sets
# CK_RC (124: past 10 s, 137: past 200 MB), CK_OUT, CK_ERR
bounded() {
  local f=$1 deadline rss
  CK_N=$((CK_N + 1))
  CK_OUT="$T_DIR/probe-$CK_N.out" CK_ERR="$T_DIR/probe-$CK_N.err"
  ip netns exec "$TEST-gw" "$CK_PROBE" --ca "$CK_CA" --proxy 100.64.3.3:3129 --via azure-proxy \
    --user "$CK_USER" --password-file "$f" $B:443 >"$CK_OUT" 2>"$CK_ERR" {T_STDOUT}>&- {T_LOCK}>&- &
  local pid=$! over=""
  deadline=$(($(now_ms) + 10000 * ${TEST_TIME_SCALE:-1}))
  while kill -0 $pid 2>/dev/null; do
    rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null)
    if [ "${rss:-0}" -gt 204800 ]; then over="memory ${rss} kB"; break; fi
    if [ "$(now_ms)" -ge "$deadline" ]; then over="time"; break; fi
    sleep 0.05
  done
  if [ -n "$over" ]; then
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    CK_RC=$([ "$over" = time ] && echo 124 || echo 137)
    log "checks-probe --password-file $f: killed ($over)"
  else
    wait $pid
    CK_RC=$?
    log "checks-probe --password-file $f -> exit $CK_RC"
  fi
  sed 's/^/  | /' "$CK_ERR" | head -c 2000
}
for f in /dev/zero "$T_DIR/fifo" "$T_DIR/big" "$T_DIR/missing"; do
  bounded "$f"
  check "--password-file $f: refused (exit 2) within 10 s and 200 MB" [ "$CK_RC" = 2 ]
  check "--password-file $f: the file named on stderr" grep -qF -- "$f" "$CK_ERR"
  check "--password-file $f: no row" [ ! -s "$CK_OUT" ]
done
bounded "$pw"
ck_rc_is 0
ck_is $B:443 verdict pass
finish
