#!/usr/bin/env bash
# Names in the connections file (issue 7 items 3, 4, 9, 15): section paths of
# 511, 512, 1000 and 5000 characters (the 511 one crashed tunneld at start and
# on SIGHUP while -n said OK), connection and child names past the SA table's
# 63 bytes, names with '%' and binary bytes (also in template references,
# which crashed -n too), a reference to a missing template, a connection with
# 40 children.
# tunneld -n, start and SIGHUP agree: each bad file is refused with the same
# one message naming the section and the rule, tunneld keeps running with
# what it had; the good file loads every name whole and every child.
#
#   conf_names.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-cnames}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
mkdir -p "$T_DIR/cases"
LONG=$(printf 'L%.0s' $(seq 63))   # a 63-byte connection name, the longest allowed

# every case: cases/ID.conf and cases/ID.expect (a part of the message)
python3 - "$T_DIR/cases" "$LONG" <<'PY'
import os, sys
d, long_name = sys.argv[1], sys.argv[2]
def conn(name, body=b""):
    return (b"  " + name + b" {\n    remote_addrs = 192.0.2.2\n" + body +
            b"    children {\n      net {\n        local_ts = 100.64.1.0/24\n      }\n    }\n  }\n")
def write(cid, conns, expect, secrets=b""):
    with open(os.path.join(d, cid + ".conf"), "wb") as f:
        f.write(b"connections {\n" + conns + b"}\n" + secrets)
    with open(os.path.join(d, cid + ".expect"), "w") as f:
        f.write(expect)
def nested(segs, leaf=b"e"):
    """a connection 'c' whose sections follow segs; the last one has a sub-section"""
    out = b""
    for i, s in enumerate(segs):
        out += b"  " * (i + 2) + s + b" {\n"
    out += b"  " * (len(segs) + 2) + leaf + b" {\n" + b"  " * (len(segs) + 3) + b"k = v\n"
    out += b"  " * (len(segs) + 2) + b"}\n"
    for i in reversed(range(len(segs))):
        out += b"  " * (i + 2) + b"}\n"
    return b"  c {\n    remote_addrs = 192.0.2.2\n" + out + b"  }\n"
def path_len(segs):
    return len(b".".join([b"connections", b"c"] + segs))
for total in (511, 512, 1000, 5000):
    # deep: segments of at most 127 bytes (libstrongswan can look each up),
    # the section at exactly `total` characters has a sub-section
    segs, n = [b"children", b"net"], 0
    while path_len(segs) < total:
        room = total - path_len(segs) - 1
        segs.append(bytes([ord("a") + n % 26]) * min(127, room))
        n += 1
    assert path_len(segs) == total
    write("deep%d" % total, nested(segs), "sections nest at most 3 deep in a connection")
    # one long name at the end of the path
    tail = total - path_len([b"children", b"net"]) - 1
    write("longsec%d" % total, nested([b"children", b"net", b"x" * tail]),
          "section name is %d bytes long (at most 127)" % tail)
    # a connection name making the whole path
    write("longconn%d" % total, conn(b"c" * (total - len("connections."))),
          "connection name is %d bytes long (at most 63)" % (total - len("connections.")))
write("conn64", conn(b"D" * 64), "connection name is 64 bytes long (at most 63)")
write("child64", nested([b"children"], b"n" * 64).replace(b"k = v", b"local_ts = 100.64.1.0/24"),
      "child name is 64 bytes long (at most 63)")
write("pct_s", conn(b"er%s"), "connection name contains '%' (byte 3)")
write("pct_n", conn(b"%n%n%n%n"), "connection name contains '%' (byte 1)")
write("pct_child", nested([b"children"], b"net%s%s%n"), "child name contains '%' (byte 4)")
write("pct_local", conn(b"c", b"    local%n {\n      auth = psk\n    }\n"),
      "section name contains '%' (byte 6)")
write("pct_key", conn(b"c", b"    %s%n = 1\n"), "key name contains '%' (byte 1)")
write("bin_conn", conn(b"x\xfe\xff"), "connection name contains byte 0xfe (byte 2)")
# control bytes are refused in any file before a name is read (conf_files)
write("ctl_conn", conn(b"x\x01\x7f\xff"), "control byte 0x01 at column 4: a configuration file may hold")
write("utf8_conn", conn(b"caf\xc3\xa9"), "connection name contains byte 0xc3 (byte 4)")
write("pct_secret", conn(b"c"), "secrets.'ike-%n%s': section name contains '%' (byte 5)",
      b"secrets {\n  ike-%n%s {\n    secret = x\n  }\n}\n")
write("bin_secret", conn(b"c"), "section name contains byte 0xe2 (byte 4)",
      b"secrets {\n  ike\xe2\x80\x8b {\n    secret = x\n  }\n}\n")
write("ctl_secret", conn(b"c"), "control byte 0x1b at column 6",
      b"secrets {\n  ike\x1b[2J {\n    secret = x\n  }\n}\n")
# template references: libstrongswan formats them as printf formats when it resolves them
tmpl = b"presets {\n  t {\n    version = 2\n  }\n}\n"
def with_ref(cid, ref, expect):
    with open(os.path.join(d, cid + ".conf"), "wb") as f:
        f.write(tmpl + b"connections {\n" + conn(b"c : " + ref) + b"}\n")
    with open(os.path.join(d, cid + ".expect"), "w") as f:
        f.write(expect)
with_ref("ref_pct", b"presets.t%s%s%s%n",
         "template reference 'presets.t%s%s%s%n': the name 't%s%s%s%n' contains '%' (byte 2)")
with_ref("ref_missing", b"presets.tt", "template 'presets.tt' not found")
# the good file: the longest connection name, 40 children with 63-byte names, a template
children = b"".join(b"      " + (b"c%02d" % i) + b"x" * 60 + b" {\n        local_ts = 100.64.%d.0/24\n      }\n" % i
                    for i in range(40))
good = (tmpl + b"connections {\n  " + long_name.encode() + b" : presets.t {\n    remote_addrs = 192.0.2.2\n"
        b"    children {\n" + children + b"    }\n  }\n" + conn(b"short-name_1")[2:] + b"}\n"
        b"secrets {\n  ike-" + long_name.encode() + b" {\n    id-1 = 192.0.2.1\n    secret = 0x0a0b0c\n  }\n}\n")
open(os.path.join(d, "good.conf"), "wb").write(good)
PY
[ -f "$T_DIR/cases/good.conf" ] || die "the case generator failed"
CASES=$(cd "$T_DIR/cases" && ls ./*.expect | sed 's#^\./##; s/\.expect$//' | sort)
log "cases: $(echo $CASES)"

# printable: the message carries no raw control or non-ASCII bytes
printable() { ! LC_ALL=C grep -q '[^[:print:][:space:]]' "$1"; }

# -n on every bad case: exit 1 (not a signal, not a hang), the expected message
cp "$T_DIR/cases/good.conf" "$T_DIR/swanctl.conf"
tunneld_write_conf gw "$T_DIR/swanctl.conf"
check "tunneld -n accepts the good file (63-byte names, 40 children)" \
  timeout 20 "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf"
for c in $CASES; do
  cp "$T_DIR/cases/$c.conf" "$T_DIR/swanctl.conf"
  timeout 20 "$TUNNELD" -n -f "$T_DIR/gw/tunneld.conf" >"$T_DIR/$c.n.out" 2>&1
  rc=$?
  check "-n $c: refused with exit 1 (got $rc)" [ "$rc" = 1 ]
  check "-n $c: says '$(cat "$T_DIR/cases/$c.expect")'" \
    grep -qF -- "$(cat "$T_DIR/cases/$c.expect")" "$T_DIR/$c.n.out"
  check "-n $c: the message names the file:line" grep -q "swanctl.conf:[0-9]*: " "$T_DIR/$c.n.out"
  check "-n $c: the message is printable" printable "$T_DIR/$c.n.out"
done

# start with the good file: every name whole, every child tracked
cp "$T_DIR/cases/good.conf" "$T_DIR/swanctl.conf"
tunneld_start gw
conns() { tunneld_swanctl gw --list-conns 2>/dev/null; }
has_conn() { conns | grep -q "^$1: "; }
check "the 63-byte connection name is loaded whole" wait_for 20 "long conn" has_conn "$LONG"
nchild=$(conns | grep -c "^  c[0-9][0-9]x\{60\}: TUNNEL")
check "charon has its 40 children with their 63-byte names (got $nchild)" [ "$nchild" = 40 ]
sa_children() {
  tctl gw -j sa | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sas"]:
    if s["name"] == sys.argv[1]:
        print(len(s["children"]))' "$1"
}
check "the SA table tracks all 40 children (got $(sa_children "$LONG"))" [ "$(sa_children "$LONG")" = 40 ]
check "and the other connection" [ "$(sa_children short-name_1)" = 1 ]

# SIGHUP with every bad case: the same message as -n, nothing changed
LOGF=$T_DIR/gw/tunneld.log
refusals() { grep -ac "connections not (re)loaded, previous ones kept" "$LOGF"; }
# a refusal after the first `before` ones, or tunneld gone
refused_or_dead() { [ "$(refusals)" -gt "$1" ] || ! kill -0 "$TUNNELD_PID_gw" 2>/dev/null; }
for c in $CASES; do
  before=$(refusals)
  cp "$T_DIR/cases/$c.conf" "$T_DIR/swanctl.conf"
  kill -HUP "$TUNNELD_PID_gw"
  wait_for 20 "reload of $c refused" refused_or_dead "$before"
  if ! kill -0 "$TUNNELD_PID_gw" 2>/dev/null; then
    fail "SIGHUP $c: tunneld died"
    break
  fi
  if [ "$(refusals)" -le "$before" ]; then
    fail "SIGHUP $c: no refusal logged"
    continue
  fi
  logged=$(grep -a "connections not (re)loaded, previous ones kept" "$LOGF" | tail -1 |
    sed 's/.*previous ones kept: //')
  said=$(sed -n 's/^tunneld: //p' "$T_DIR/$c.n.out" | head -1)
  check "SIGHUP $c: the log says what -n said" [ "$logged" = "$said" ]
  check "SIGHUP $c: tunneld is running" kill -0 "$TUNNELD_PID_gw"
done
check "the previous connections are kept" has_conn "$LONG"
check "tunneld stops cleanly" tunneld_stop gw

# start with bad files: refused the same way, tunneld runs (no connections)
for c in deep511 pct_n conn64 ref_pct; do
  cp "$T_DIR/cases/$c.conf" "$T_DIR/swanctl.conf"
  before=$(refusals)
  tunneld_start gw
  wait_for 20 "start refusal" refused_or_dead "$before"
  check "start $c: refusal logged" [ "$(refusals)" -gt "$before" ]
  logged=$(grep -a "connections not (re)loaded, previous ones kept" "$LOGF" | tail -1 |
    sed 's/.*previous ones kept: //')
  said=$(sed -n 's/^tunneld: //p' "$T_DIR/$c.n.out" | head -1)
  check "start $c: the log says what -n said" [ "$logged" = "$said" ]
  check "start $c: tunneld is running" kill -0 "$TUNNELD_PID_gw"
  check "start $c: tunneld stops cleanly" tunneld_stop gw
done
finish
