#!/bin/bash
# A next hop that stops answering ARP / neighbour solicitations while its
# link stays up: the kernel's neighbour entry goes FAILED, the path is
# unusable at once (a PATH_DOWN event naming the next hop and FAILED, cause
# neighbour, not link), the site moves; when the next hop answers again the
# engine's own re-resolution brings the path back (cause neighbour).
TEST=${TEST:-rtneigh}
source "$(dirname "$0")/lib.sh"
rt_topology
# fast neighbour failure detection on the gateway's er1 (seconds, not the
# default ~30 s): reachable 500 ms, 1 s before probing, 2 probes 200 ms apart
for fam in ipv4 ipv6; do
  nsx gw sysctl -qw net.$fam.neigh.er1.base_reachable_time_ms=500 \
    net.$fam.neigh.er1.delay_first_probe_time=1 net.$fam.neigh.er1.retrans_time_ms=200 \
    net.$fam.neigh.er1.ucast_solicit=2 net.$fam.neigh.er1.mcast_solicit=2
done
write_state 20 4 10 20
drv_start
check "the site is on er1" ping_via 4 r1
check "IPv6 on er1" wait_for 10 "IPv6 via er1" ping_via 6 r1
check "er1 was never reported down" not grep -q '^event path-down site=west path=er1' "$DLOG"

# r1 stops answering ARP (its address and link stay)
nsx r1 nft -f - <<'NFT' || die "nft arp in r1"
table arp noarp {
  chain in { type filter hook input priority 0; counter drop; }
}
NFT
# traffic keeps flowing (one ping at a time) until the kernel marks the
# next hop FAILED and the engine moves the site
moved() {
  nsx sen ping -c 1 -W 1 -q 203.0.113.1 >/dev/null 2>&1
  route_via 100.64.0.3 198.51.100.5
}
check "ARP unanswered: the site moves to er2" wait_for 20 "site on er2" moved
check "er1's link is still up with carrier" sh -c "ip -n $TEST-gw link show er1 | grep -q 'LOWER_UP'"
# polled: the engine's own re-resolution (once a second) makes the entry
# INCOMPLETE for a moment, and r1's ARP requests (it resolves gw for its
# replies, but hears no answer) make it STALE; neither is an answer
log "gw's entry for 198.51.100.1 when the site moved: $(nsx gw ip neigh show 198.51.100.1 dev er1)"
entry_failed() { nsx gw ip neigh show 198.51.100.1 dev er1 | grep -q FAILED; }
check "the kernel's entry for 198.51.100.1 is FAILED" wait_for 10 "FAILED entry" entry_failed
check "path-down event names the next hop and FAILED, cause neighbour" grep -q \
  '^event path-down site=west path=er1 if=er1 :: next hop 198.51.100.1 on er1 is FAILED in the neighbour table (no answer to ARP) \[cause=neighbour\]' "$DLOG"
check "IPv6 moved with the path" route_via 100.64.0.3 198.51.100.5
check "sensor reaches the host via er2 only" ping_via 4 r2
check "er2 keeps carrying it (no flap back while ARP is dropped)" not wait_for 3 "back on er1" route_via 100.64.0.3 198.51.100.1

# r1 answers again: the engine's re-resolution (no traffic goes to er1)
nsx r1 nft delete table arp noarp
check "ARP answered again: back on er1" wait_for 10 "back on er1" route_via 100.64.0.3 198.51.100.1
check "path-up event, cause neighbour" grep -q '^event path-up site=west path=er1 if=er1 :: next hop answers again .*\[cause=neighbour\]' "$DLOG"
check "sensor reaches the host via er1" ping_via 4 r1

# IPv6: r1 stops answering neighbour solicitations
nsx r1 nft -f - <<'NFT' || die "nft nd in r1"
table ip6 nond {
  chain in { type filter hook input priority -10; icmpv6 type nd-neighbor-solicit counter drop; }
}
NFT
moved6() {
  nsx sen ping -6 -c 1 -W 1 -q 2001:db8:100::1 >/dev/null 2>&1
  nsx gw ip -6 route get 2001:db8:1000:1::1 | grep -q 'via 2001:db8:2::1'
}
check "ND unanswered: the site moves to er2 (IPv6)" wait_for 20 "IPv6 on er2" moved6
check "IPv6 path-down event names the next hop" grep -q \
  '^event path-down site=west path=er1 if=er1 :: next hop 2001:db8:1::1 on er1 is FAILED in the neighbour table (no answer to neighbour solicitations) \[cause=neighbour\]' "$DLOG"
nsx r1 nft delete table ip6 nond
check "ND answered again: back on er1" wait_for 10 "IPv6 back on er1" \
  sh -c "ip netns exec $TEST-gw ip -6 route get 2001:db8:1000:1::1 | grep -q 'via 2001:db8:1::1'"

# The neighbour table at apply time (a restart), in each state the kernel
# can hold for a next hop that does not answer: FAILED, no entry (the
# periodic GC removes FAILED entries once the table holds gc_thresh1), and
# STALE (a FAILED entry turns STALE when the next hop's own ARP request
# arrives: it asks but does not hear us; under a slow emulated CPU r1's
# requests for the replies it had sent landed between the test's FAILED
# check and the driver's read, see docs/vm.md).
# the first line matching $1 comes before the apply's own "applied" line:
# the engine found it when it read the table, no later notification did
before_applied() {
  local a b
  a=$(grep -n -m1 "$1" "$DLOG" | cut -d: -f1)
  b=$(grep -n -m1 '^applied' "$DLOG" | cut -d: -f1)
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
# the driver's debug line: the apply asked the kernel to resolve the next hop
asked() { grep -q "^log debug :: next hop $1: its neighbour entry says nothing" "$DLOG"; }
ev_failed='^event path-down site=west path=er1 .*198.51.100.1 on er1 is FAILED.*\[cause=neighbour\]'

# 1. FAILED: r1 neither answers nor asks (ARP dropped both ways), so nothing
# but the engine touches gw's entry
check "driver stops" drv_stop
nsx r1 nft -f - <<'NFT' || die "nft arp in r1"
table arp noarp {
  chain in { type filter hook input priority 0; counter drop; }
  chain out { type filter hook output priority 0; counter drop; }
}
NFT
nsx gw ip neigh flush dev er1
failed_now() {
  nsx gw ping -c 1 -W 1 -q 198.51.100.1 >/dev/null 2>&1
  nsx gw ip neigh show 198.51.100.1 dev er1 | grep -q FAILED
}
check "198.51.100.1 FAILED before the start" wait_for 10 "FAILED entry" failed_now
drv_start
check "a FAILED next hop at start: the site starts on er2" route_via 100.64.0.3 198.51.100.5
check "and says so" grep -q "$ev_failed" "$DLOG"
check "found FAILED by the apply's own read of the table" before_applied "$ev_failed"

# 2. no entry at all (r1 still silent): the apply asks the kernel to resolve
# it; its FAILED verdict moves the site with no traffic sent to er1
check "driver stops" drv_stop
nsx gw ip neigh flush dev er1
check "no entry for 198.51.100.1 before the start" not sh -c "ip -n $TEST-gw neigh show 198.51.100.1 dev er1 | grep -q ."
drv_start --debug
check "no entry: the apply asks the kernel to resolve 198.51.100.1" asked 198.51.100.1
check "no entry: the site moves to er2 without traffic" wait_for 10 "site on er2" route_via 100.64.0.3 198.51.100.5
check "and says so (FAILED, cause neighbour)" grep -q "$ev_failed" "$DLOG"

# 3. STALE: r1 asks (its ARP requests reach gw) but does not hear us
check "driver stops" drv_stop
nsx r1 nft delete chain arp noarp out || die "nft arp out in r1"
nsx gw ip neigh flush dev er1
nsx r1 ip neigh flush dev eth0
stale_now() {
  nsx r1 ping -c 1 -W 1 -q 198.51.100.2 >/dev/null 2>&1
  nsx gw ip neigh show 198.51.100.1 dev er1 | grep -q STALE
}
check "198.51.100.1 STALE before the start (r1's own ARP request)" wait_for 10 "STALE entry" stale_now
drv_start --debug
check "STALE: the apply asks the kernel to resolve 198.51.100.1" asked 198.51.100.1
check "STALE: the site moves to er2 without traffic" wait_for 10 "site on er2" route_via 100.64.0.3 198.51.100.5
check "and says so (FAILED, cause neighbour)" grep -q "$ev_failed" "$DLOG"
check "er2 keeps carrying it while r1 asks but does not hear" not wait_for 3 "back on er1" route_via 100.64.0.3 198.51.100.1
nsx r1 nft delete table arp noarp
check "then back on er1" wait_for 10 "back on er1" route_via 100.64.0.3 198.51.100.1
check "driver stops" drv_stop
finish
