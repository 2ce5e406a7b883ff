#!/bin/bash
# A name that does not resolve (in no hosts file; the only name server is
# one that does not exist): the check fails in the DNS phase, before any
# connection.
TEST=ckdns
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
N=nowhere.blob.core.windows.net
ck_endpoint $B 100.64.2.10 tls12

ck_fail_reason $N:443 dns "$N: name does not resolve"
ck_is $N:443 connect_ms null
# the name next to it resolves and passes
ck_probe $B:443 $N:443
ck_rc_is 1
ck_is $B:443 verdict pass
ck_is $N:443 verdict fail

# A name server that never answers (its queries dropped; the resolver would
# wait 2 x 5 s per name): each check still ends at its own 1 s deadline and
# the rounds go on; the resolver's wait must not hold the engine (libcurl
# joined its resolver thread when a timed-out handle was removed: 3 rounds of
# 4 names took 4 x 10 s x 3 instead of about 3 s).
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' >"/etc/netns/$TEST-gw/resolv.conf"
nsx gw nft add table inet "$TEST"
nsx gw nft add chain inet "$TEST" in "{ type filter hook input priority 0; }"
nsx gw nft add rule inet "$TEST" in udp dport 53 drop
nsx gw nft add rule inet "$TEST" in tcp dport 53 drop
S=(n1.$N:443 n2.$N:443 n3.$N:443 n4.$N:443)
t0=$(now_ms)
ck_probe --connect-timeout 1000 --rounds 3 "${S[@]}"
took=$(($(now_ms) - t0))
log "3 rounds of 4 checks with a silent name server: $took ms"
check "3 rounds end within 3 x (1 s deadline + 2 s slack), not at the resolver's 10 s a name" \
  [ "$took" -lt $((9000 * ${TEST_TIME_SCALE:-1})) ]
for e in "${S[@]}"; do
  check "$e: a row for round 3" [ "$(ck_row "$e" verdict "" 3)" = fail ]
  check "$e: timed out in the DNS phase" [ "$(ck_row "$e" phase "" 3)" = dns ]
  check "$e: the reason says so" \
    bash -c "[[ '$(ck_row "$e" reason "" 3)' == *'timed out after 1000 ms resolving the name'* ]]"
done
finish
