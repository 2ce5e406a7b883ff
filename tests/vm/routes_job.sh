#!/usr/bin/env bash
# Runs INSIDE the test VM as /job/run.sh of vm_routes: the route engine's
# netns suite (tests/routes/*.sh, the list in /job/routes_tests) on Debian
# 12's 6.1 kernel, with the build tree's routes_driver. One rc per script in
# /job/out/routes_rc; fails if any script fails.
set -u
. /job/env
export ROUTES_DRIVER=/job/bin/routes_driver
export TEST_TIME_SCALE=${TEST_TIME_SCALE:-3}
ln -sfn /job/prefix "$SS_PREFIX" 2>/dev/null || { mkdir -p "$(dirname "$SS_PREFIX")" && ln -sfn /job/prefix "$SS_PREFIX"; }
echo "kernel $(uname -r)"
echo "nexthop_compat_mode: $(sysctl -n net.ipv4.nexthop_compat_mode)"
: > /job/out/routes_rc
failed=0
for t in $(cat /job/routes_tests); do
  s=$(date +%s.%N)
  timeout -k 5 $((120 * TEST_TIME_SCALE)) bash "/job/repo/tests/routes/$t.sh" > "/job/out/routes_$t.log" 2>&1
  rc=$?
  e=$(date +%s.%N)
  awk -v t="$t" -v rc="$rc" -v s="$s" -v e="$e" 'BEGIN {printf "%s %s %.1f\n", t, rc, e - s}' >> /job/out/routes_rc
  echo "routes/$t.sh: rc $rc ($(tail -1 "/job/out/routes_$t.log"))"
  [ "$rc" = 0 ] || { failed=$((failed + 1)); tail -15 "/job/out/routes_$t.log"; }
done
echo "vm_routes: $(wc -l < /job/out/routes_rc) scripts, $failed failed"
[ "$failed" = 0 ]
