#!/usr/bin/env bash
# Runs INSIDE the test VM as /job/run.sh of vm_routes: the route engine's
# netns suite (tests/routes/*.sh, the list in /job/routes_tests) on Debian
# 12's 6.1 kernel, with the build tree's routes_driver, two scripts at a time
# (the VM has 2 vCPUs; each script has its own namespaces). One line "name rc
# seconds" per script in /job/out/routes_rc; fails if any script fails.
set -u
. /job/env
export ROUTES_DRIVER=/job/bin/routes_driver
export TEST_TIME_SCALE=${TEST_TIME_SCALE:-3}
ln -sfn /job/prefix "$SS_PREFIX" 2>/dev/null || { mkdir -p "$(dirname "$SS_PREFIX")" && ln -sfn /job/prefix "$SS_PREFIX"; }
echo "kernel $(uname -r)"
echo "nexthop_compat_mode: $(sysctl -n net.ipv4.nexthop_compat_mode)"
one() {
  local t=$1 s e rc
  s=$(date +%s.%N)
  timeout -k 5 $((120 * TEST_TIME_SCALE)) bash "/job/repo/tests/routes/$t.sh" > "/job/out/routes_$t.log" 2>&1
  rc=$?
  e=$(date +%s.%N)
  awk -v t="$t" -v rc="$rc" -v s="$s" -v e="$e" 'BEGIN {printf "%s %s %.1f\n", t, rc, e - s}' > "/job/out/routes_$t.rc"
  echo "routes/$t.sh: rc $rc ($(tail -1 "/job/out/routes_$t.log"))"
  [ "$rc" = 0 ] || tail -15 "/job/out/routes_$t.log"
}
export -f one
xargs -P 2 -n 1 bash -c 'one "$0"' < /job/routes_tests
for t in $(cat /job/routes_tests); do
  cat "/job/out/routes_$t.rc" 2>/dev/null || echo "$t missing 0"
done > /job/out/routes_rc
failed=$(awk '$2 != 0' /job/out/routes_rc | wc -l)
echo "vm_routes: $(wc -l < /job/out/routes_rc) scripts, $failed failed"
[ "$failed" = 0 ]
