# shellcheck shell=bash
# Sourced by tests/vm/dataplane_job.sh (inside the VM), the site on the VPN
# path: tunneld restarted (SIGTERM, then started again on the same
# configuration: what the package's upgrade does through the unit) while a
# sensor keeps a TCP connection to a host behind Azure (az) and pings it 10
# times a second. The ER path is down meanwhile (its far end is another host
# with the same address: a connection could not live across the two).
# Checks: the connection lives through the restart (no reset, data after it
# on the same connection), the site's routes are never deleted, the tunnel
# carries the ping again. Figures (ping loss, longest gap, stop-to-traffic)
# in /job/out/restart.txt.

# rg_server -> one TCP connection accepted at 100.64.2.1:5302 in az; every
# line received is logged "monotonic_ms counter"; ends at EOF (bounded: 240 s)
rg_server() {
  ip netns exec "$TEST-az" timeout 240 python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("100.64.2.1", 5302)); s.listen(1)
c, _ = s.accept(); f = c.makefile("rb"); out = open(sys.argv[1], "w", buffering=1)
for line in f:
    out.write("%d %s\n" % (time.monotonic() * 1000, line.decode().strip()))
out.write("eof\n")' "$1"
}
# rg_client STOPFILE -> connects and sends a counter line every 100 ms until
# STOPFILE exists (bounded: 200 s); exit 0 only if no error on the connection
rg_client() {
  ip netns exec "$TEST-sen" timeout 220 python3 -c '
import os, socket, sys, time
c = socket.create_connection(("100.64.2.1", 5302), timeout=5)
c.settimeout(None)
n, end = 0, time.monotonic() + 200
while not os.path.exists(sys.argv[1]) and time.monotonic() < end:
    n += 1
    c.sendall(b"%d\n" % n)
    time.sleep(0.1)
c.shutdown(socket.SHUT_WR); c.close()
print("sent", n)' "$1"
}
rg_lines() { grep -c '^[0-9]* [0-9]*$' "$T_DIR/rg_server.txt" 2> /dev/null || echo 0; }
rg_more_than() { [ "$(rg_lines)" -gt "$1" ]; }
# rg_gap_ms PINGFILE -> the longest time between two answered pings (ping -D)
rg_gap_ms() {
  sed -n 's/^\[\([0-9.]*\)\] .*bytes from.*/\1/p' "$1" |
    awk 'NR > 1 && ($1 - p) * 1000 > m {m = ($1 - p) * 1000} {p = $1} END {printf "%d\n", m}'
}

rg_run() {
  local srv cli png t_stop t_back deleted r0 tx rx
  nsx gw ip link set er0 down
  check "restart: er0 down, the site on the VPN path only" route_dev xfrm-azure
  spawn "$T_DIR/rg_server.log" rg_server "$T_DIR/rg_server.txt"
  srv=$LAST_PID
  wait_for 10 "server listens" sh -c "ip netns exec $TEST-az ss -Htln | grep -q '100.64.2.1:5302'"
  spawn "$T_DIR/rg_client.log" rg_client "$T_DIR/rg_stop"
  cli=$LAST_PID
  spawn "$T_DIR/rg_ping.txt" ip netns exec "$TEST-sen" ping -D -n -i 0.1 -c 2000 -W 1 100.64.2.1
  png=$LAST_PID
  nsx gw ip monitor route nexthop > "$T_DIR/rg_monitor.txt" 2>&1 &
  T_PIDS+=("$!")
  local mon=$!
  check "restart: the sensor's TCP connection carries data before" wait_for 20 "10 lines" rg_more_than 10
  t_stop=$(now_ms)
  check "restart: tunneld stops (SIGTERM)" tunneld_stop gw
  tunneld_start gw
  check "restart: tunneld started again on the same configuration" wait_for 60 "child up" child_is gw azure sensors up
  check "restart: the site is on xfrm-azure" wait_for 30 "route xfrm-azure" route_dev xfrm-azure
  r0=$(rg_lines)
  check "restart: the same TCP connection delivers data after the restart" wait_for 60 "data after" rg_more_than $((r0 + 10))
  t_back=$(now_ms)
  touch "$T_DIR/rg_stop"
  wait "$cli"
  check "restart: the sensor's connection saw no error, no reset (client exit $?: $(tail -1 "$T_DIR/rg_client.log"))" \
    grep -q '^sent [0-9]*$' "$T_DIR/rg_client.log"
  wait_for 10 "server eof" grep -q '^eof$' "$T_DIR/rg_server.txt"
  check "restart: the server got every line, in order, on its one connection" \
    awk '$1 != "eof" {n++; if ($2 != n) bad = 1} END {exit (bad || n < 20)}' "$T_DIR/rg_server.txt"
  kill -INT "$png" 2> /dev/null
  wait "$png" 2> /dev/null
  kill "$mon" 2> /dev/null
  wait "$mon" 2> /dev/null
  wait "$srv" 2> /dev/null
  deleted=$(grep '^Deleted' "$T_DIR/rg_monitor.txt" | grep -cE 'table 1160|proto 116')
  check "restart: tunneld's routes never deleted (ip monitor: $deleted deletions in table 1160 / proto 116)" [ "$deleted" = 0 ]
  tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T_DIR/rg_ping.txt")
  rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_DIR/rg_ping.txt")
  {
    echo "restart_ping_sent ${tx:-?}"
    echo "restart_ping_lost $((${tx:-0} - ${rx:-0}))"
    echo "restart_ping_longest_gap_ms $(rg_gap_ms "$T_DIR/rg_ping.txt")"
    echo "restart_stop_to_data_ms $((t_back - t_stop))"
  } > /job/out/restart.txt
  log "restart: $(tr '\n' ' ' < /job/out/restart.txt)"
  nsx gw ip link set er0 up
}
