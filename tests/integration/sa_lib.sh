# Helpers of the SA-table integration tests (sa_*.sh). Source after
# tunneld_env.sh. Compares tunneld's SA table with what charon itself reports
# on tunneld's vici socket.

# charon_children NAME -> "conn child uid state" per CHILD_SA charon lists on
# tunneld's vici (swanctl --list-sas --raw)
charon_children() {
  tunneld_swanctl "$1" --list-sas --raw 2>/dev/null | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"list-sa event \{(\S+) \{(.*)\}\s*$", line.strip())
    if not m:
        continue
    conn, body = m.group(1), m.group(2)
    cs = body.find("child-sas {")
    if cs < 0:
        continue
    for c in re.finditer(r"name=(\S+) uniqueid=(\d+) .*?state=(\S+)", body[cs:]):
        print(conn, c.group(1), c.group(2), c.group(3))'
}

# charon_ikes NAME -> "conn uid state" per IKE_SA charon lists
charon_ikes() {
  tunneld_swanctl "$1" --list-sas --raw 2>/dev/null | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"list-sa event \{(\S+) \{uniqueid=(\d+) .*?state=(\S+)", line.strip())
    if m:
        print(m.group(1), m.group(2), m.group(3))'
}

# installed_uid NAME CONN CHILD -> the unique id of the one CHILD_SA charon has
# INSTALLED for CONN.CHILD (fails when there is none or more than one)
installed_uid() {
  local ids
  ids=$(charon_children "$1" | awk -v c="$2" -v n="$3" '$1 == c && $2 == n && $4 == "INSTALLED" {print $3}')
  [ -n "$ids" ] && [ "$(wc -l <<<"$ids")" = 1 ] && echo "$ids"
}

# row_tells_truth NAME CONN CHILD -> the table's row is up and follows the
# CHILD_SA charon has INSTALLED
row_tells_truth() {
  local want got
  want=$(installed_uid "$1" "$2" "$3") || return 1
  got=$(sa_child "$1" "$2" "$3" unique_id) || return 1
  [ "$want" = "$got" ] && child_is "$1" "$2" "$3" up
}

# path_usable NAME SITE PATH yes|no -> tunnelctl -j routes says so
path_usable() {
  tctl "$1" -j routes | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = [p for s in d["sites"] if s["name"] == sys.argv[1] for p in s["paths"] if p["name"] == sys.argv[2]][0]
sys.exit(0 if p["usable"] == (sys.argv[3] == "yes") else 1)' "$2" "$3" "$4"
}

# nft_count NETNS TABLE -> packets of the first counter in table inet TABLE
nft_count() {
  nsx "$1" nft -j list table inet "$2" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if r:
        for e in r["expr"]:
            if "counter" in e:
                print(e["counter"]["packets"]); sys.exit(0)
sys.exit(1)'
}

# hold_ike NETNS KIND -> IKE messages on UDP 4500 (non-ESP marker: four zero
# bytes) of KIND (req: requests, resp: responses, by the IKE header's
# Response flag) leaving NETNS are dropped and counted in table inet
# "hold<KIND>"; ESP still flows. release_ike NETNS KIND lets them pass again.
hold_ike() {
  local cmp
  [ "$2" = resp ] && cmp=0x20 || cmp=0
  nsx "$1" nft -f - <<NFT
table inet hold$2 {
  chain output {
    type filter hook output priority 0; policy accept;
    udp dport 4500 @th,64,32 0 @th,248,8 & 0x20 == $cmp counter drop
  }
}
NFT
}
release_ike() { nsx "$1" nft delete table inet "hold$2"; }

# swait TIMEOUT_S "description" cmd... -> wait_for with the timeout stretched by
# TEST_TIME_SCALE (the sanitizer build runs its tests with 3)
swait() {
  local t=$1; shift
  wait_for $((t * ${TEST_TIME_SCALE:-1})) "$@"
}
