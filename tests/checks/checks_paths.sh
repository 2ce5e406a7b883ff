#!/bin/bash
# Path or service, at the probe level: two paths a (p1) and b (p2) from the
# gateway to the endpoints. Azure drops what comes over p1 for one endpoint:
# that endpoint's row on a is the path's fault and path a is not ok (its
# reason is the group and that check's reason), b stays ok. Dropped on both:
# the endpoint's (service) fault on both rows, and both paths are ok. The
# same with the paths pinned by mark, then by source address.
TEST=ckpaths
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
B=ok12.blob.core.windows.net
S=ok13.servicebus.windows.net
ck_endpoint $B 100.64.2.10 tls12
ck_endpoint $S 100.64.2.11 tls13
T=(--connect-timeout 1000 --group sensors)
R="$B:443: timed out after 1000 ms (TCP connect)"

# path_fault PATH_A PATH_B -> B reachable only over b (p1 cut)
path_fault() {
  ck_mend
  ck_cut a1 100.64.2.10
  ck_probe "$@" "${T[@]}" $B:443 $S:443
  ck_rc_is 1
  ck_is $B:443 verdict fail a
  ck_is $B:443 fault path a
  ck_is $B:443 reason "$R" a
  ck_is $B:443 verdict pass b
  ck_is $S:443 verdict pass a
  ck_is $S:443 verdict pass b
  ck_path_is a ok false
  ck_path_is a reason "sensors: $R"
  ck_path_is b ok true
}
# service_fault PATH_A PATH_B -> B unreachable over both
service_fault() {
  ck_cut a2 100.64.2.10
  ck_probe "$@" "${T[@]}" $B:443 $S:443
  ck_rc_is 1
  ck_is $B:443 fault service a
  ck_is $B:443 fault service b
  ck_is $B:443 reason "$R" b
  ck_path_is a ok true
  ck_path_is b ok true
}

path_fault --path a,dev=p1 --path b,dev=p2
service_fault --path a,dev=p1 --path b,dev=p2
# nothing cut: every row passes, both paths ok
ck_mend
ck_probe --path a,dev=p1 --path b,dev=p2 "${T[@]}" $B:443 $S:443
ck_rc_is 0
check "four rows, all pass" [ "$(jq -s '[.[] | select(.endpoint?) | select(.verdict == "pass")] | length' "$CK_OUT")" = 4 ]
ck_path_is a ok true

path_fault --path a,mark=1 --path b,mark=2
service_fault --path a,mark=1 --path b,mark=2
path_fault --path a,source=100.64.10.1 --path b,source=100.64.10.5
service_fault --path a,source=100.64.10.1 --path b,source=100.64.10.5
finish
