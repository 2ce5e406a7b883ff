#!/usr/bin/env bash
# tunnelctl golden output (bgpctl regress style): each canned reply in
# ctl_golden/CASE.reply is served by a fake control socket
# (ctl_fake_server.py); tunnelctl's text and -j output for it (stdout,
# stderr, exit status) must equal ctl_golden/CASE.ok. CASE starts with the
# command it answers (sa-..., routes-..., paths-...). Replies include hostile names
# (terminal escapes, invalid UTF-8), schema mismatches and tunneld errors;
# every output is also checked to be terminal-safe UTF-8, and -j output to be
# JSON (paths documents: also matching docs/schema/paths.schema.json, every
# key of which must be documented). "up" rows are established in 2100 so that
# their age prints as 0s.
#
#   ctl_golden.sh TUNNELCTL REPO_DIR
#   UPDATE=1 ctl_golden.sh ...   rewrites the .ok files (review the diff!)
set -u
TUNNELCTL=$(realpath "$1") REPO=$(realpath "$2")
TEST=ctlgold
# shellcheck source=../lib/common.sh
source "$REPO/tests/lib/common.sh"
cases=$REPO/tests/integration/ctl_golden
here=$REPO/tests/integration

spawn "$T_DIR/server.log" /usr/bin/python3 "$here/ctl_fake_server.py" "$T_DIR/ctl.sock" reply \
  "$T_DIR/reply"
wait_for 10 "the fake control socket" test -S "$T_DIR/ctl.sock" || die "fake server did not start"
cd "$T_DIR" || die "no $T_DIR"

# run_case CASE -> $T_DIR/CASE.out (text then -j: stdout, stderr, exit)
run_case() {
  local c=$1 cmd=${1%%-*} mode rc
  cp "$cases/$c.reply" reply
  for mode in "" "-j"; do
    echo "== tunnelctl ${mode:+$mode }$cmd"
    timeout 20 "$TUNNELCTL" -s ctl.sock $mode "$cmd" >"$c$mode.stdout" 2>"$c$mode.stderr"
    rc=$?
    cat "$c$mode.stdout"
    echo "-- stderr"
    cat "$c$mode.stderr"
    echo "-- exit $rc"
  done >"$c.out"
}

n=0
for f in "$cases"/*.reply; do
  c=$(basename "$f" .reply)
  run_case "$c"
  n=$((n + 1))
  if [ "${UPDATE:-0}" = 1 ]; then
    cp "$c.out" "$cases/$c.ok"
    log "updated $c.ok"
    continue
  fi
  check "$c: output as in $c.ok" diff -u "$cases/$c.ok" "$c.out"
  check "$c: text output and errors are terminal-safe" \
    /usr/bin/python3 "$here/ctl_check_output.py" "$c.stdout" "$c.stderr" "$c-j.stderr"
  if [ -s "$c-j.stdout" ]; then
    check "$c: -j output is terminal-safe JSON" \
      /usr/bin/python3 "$here/ctl_check_output.py" --json "$c-j.stdout"
    # documents of the newer schemas are checked against them too
    case $c in paths-*)
      check "$c: -j output matches docs/schema/paths.schema.json" \
        /usr/bin/python3 "$here/ctl_schema_check.py" "$REPO/docs/schema/paths.schema.json" \
        "$c-j.stdout"
      ;;
    esac
  fi
done
check "golden cases found" test "$n" -ge 40
finish
