#!/bin/bash
# Runs routes_bench in a namespace of its own: gw with er1/er2 veths to two
# next-hop namespaces. Everything is removed on exit.
#   bench/routes/run.sh path/to/routes_bench [routes_bench options]
set -u
BENCH=${1:?usage: run.sh path/to/routes_bench [options]}
shift
TEST=rtbench
source "$(dirname "$0")/../../tests/lib/common.sh"
netns_new gw
netns_new r1
netns_new r2
veth_pair gw er1 198.51.100.2/30 r1 eth0 198.51.100.1/30
veth_pair gw er2 198.51.100.6/30 r2 eth0 198.51.100.5/30
log "kernel $(uname -r), $(nproc) CPUs, $(ip -V)"
nsx gw "$BENCH" --ip "$(command -v ip)" "$@" || die "routes_bench failed"
T_CHECKS=1 # finish() requires an assertion: the run itself
finish
