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
finish
