#!/bin/bash
# Nothing there: the endpoint's address answers with a reset (connection
# refused); its packets are dropped (timed out in the TCP connect phase);
# the proxy itself refuses the connection, or never answers CONNECT
# (timed out waiting for its answer: a TCP listener that reads nothing); an
# endpoint that accepts TCP and never speaks TLS (timed out in the
# handshake).
TEST=ckdown
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
D=down.blob.core.windows.net
Q=quiet.blob.core.windows.net
nsx azure ip addr add 100.64.2.25/32 dev lo
nsx azure ip addr add 100.64.2.27/32 dev lo
ck_name 100.64.2.25 $D
ck_name 100.64.2.27 $Q
ck_cut a1 100.64.2.27
ck_cut a2 100.64.2.27
# a "proxy" that accepts TCP and never answers (a listener nobody reads)
nsx proxy ip addr add 100.64.3.4/24 dev eth0
spawn "$T_DIR/silent.log" ip netns exec "$TEST-proxy" python3 -c '
import socket, time
s = socket.socket(); s.bind(("100.64.3.4", 3128)); s.listen(8)
time.sleep(120)'
wait_for 10 "silent proxy" ck_up "$LAST_PID" proxy 100.64.3.4 3128
M=mute.blob.core.windows.net
nsx azure ip addr add 100.64.2.28/32 dev lo
ck_name 100.64.2.28 $M
spawn "$T_DIR/mute.log" ip netns exec "$TEST-azure" python3 -c '
import socket, time
s = socket.socket(); s.bind(("100.64.2.28", 443)); s.listen(8)
time.sleep(120)'
wait_for 10 "mute endpoint" ck_up "$LAST_PID" azure 100.64.2.28 443

ck_fail_reason $D:443 connect "$D:443: connection refused"
ck_fail_reason $Q:443 connect "$Q:443: timed out after 1000 ms (TCP connect)" --connect-timeout 1000
ck_is $Q:443 connect_ms null
ck_fail_reason $M:443 tls "$M:443: timed out after 1000 ms (TLS handshake)" --tls-timeout 1000
ck_fail_reason $D:443 connect "azure-proxy (100.64.3.3:3130): connection refused" \
  --proxy 100.64.3.3:3130 --via azure-proxy
ck_fail_reason $D:443 proxy \
  "timed out after 1000 ms waiting for the CONNECT answer from azure-proxy" \
  --proxy 100.64.3.4:3128 --via azure-proxy --proxy-timeout 1000
finish
