# Starting tunneld itself in a test netns. Source after common.sh.
# Needs TUNNELD and TUNNELCTL (paths of the built binaries); TUNNELD_WRAP may
# hold a command prefix (e.g. valgrind) to run tunneld under.

# tunneld_write_conf NAME SWANCTL_FILE [extra settings lines...]
tunneld_write_conf() {
  local name=$1 swconf=$2; shift 2
  local dir="$T_DIR/$name"
  mkdir -p "$dir"
  {
    echo "tunneld {"
    echo "  dataplane = libipsec"
    echo "  swanctl_conf = $swconf"
    echo "  pidfile = $dir/tunneld.pid"
    echo "  control_socket = unix://$dir/ctl"
    echo "  stats_interval = 1s"
    # swanctl/strongswan.conf values run to the end of the line: one key per line
    printf '  plugins {\n    vici {\n      socket = unix://%s/vici\n    }\n  }\n' "$dir"
    printf '  filelog {\n    main {\n      path = %s/tunneld.log\n      flush_line = yes\n      default = 1\n      cfg = 2\n      ike = 2\n      time_format = %%H:%%M:%%S\n    }\n  }\n' "$dir"
    local kv
    for kv in "$@"; do echo "  $kv"; done
    echo "}"
  } > "$dir/tunneld.conf"
}

# tunneld_start NAME [NETNS] -> tunneld in netns "$TEST-NETNS" (default NAME)
# with $T_DIR/NAME/tunneld.conf
tunneld_start() {
  local name=$1 dir="$T_DIR/$1" ns=${2:-$1}
  # a socket left by an earlier run in the same dir would look ready at once
  rm -f "$dir/ctl" "$dir/vici"
  # under ASan/UBSan (a sanitized build), reports go to files beside the logs
  # and any such file fails tunneld_stop (check_printf=0: ASan's printf
  # interceptor does not know strongSwan's own conversions such as %N and
  # would write a warning file)
  spawn "$dir/stderr.log" env ASAN_OPTIONS="log_path=$dir/asan:detect_leaks=1:check_printf=0" \
    LSAN_OPTIONS="suppressions=$REPO/tests/lib/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="log_path=$dir/ubsan:print_stacktrace=1:halt_on_error=1" \
    ip netns exec "$TEST-$ns" "$TUNNELD" -f "$dir/tunneld.conf" -d 1
  eval "TUNNELD_PID_$name=$LAST_PID"
  # ready when the control socket exists; a tunneld that exits is not waited for
  wait_for 60 "tunneld $name control socket" tunneld_ready "$dir/ctl" "$LAST_PID" &&
    test -S "$dir/ctl" || {
    tail -20 "$dir/stderr.log" >&2; die "tunneld $name did not start"; }
}
tunneld_ready() { test -S "$1" || ! our_child "$2"; }

# tctl NAME args... -> tunnelctl against that instance (bounded: a tunneld
# that never answers fails the caller instead of hanging the test)
tctl() { local name=$1; shift; timeout -k 1 20 "$TUNNELCTL" -s "$T_DIR/$name/ctl" "$@"; }

# tunneld_swanctl NAME args... -> Debian's swanctl against tunneld's vici socket
# the command word must come first, then --uri
# (bounded like tctl; --initiate/--terminate carry their own --timeout)
tunneld_swanctl() {
  local name=$1 cmd=$2; shift 2
  timeout -k 1 60 /usr/sbin/swanctl "$cmd" --uri "unix://$T_DIR/$name/vici" "$@"
}

# sa_query NAME CONN CHILD|"" FIELD -> prints a field (dotted path, e.g.
# last_down.reason) of a connection's row, or of one of its children, from
# tunnelctl -j sa; fails when the row does not exist
sa_query() {
  tctl "$1" -j sa | python3 -c '
import json, sys
conn, child, field = sys.argv[1:4]
for s in json.load(sys.stdin)["sas"]:
    if s["name"] != conn:
        continue
    rows = [c for c in s["children"] if c["name"] == child] if child else [s]
    if not rows:
        break
    v = rows[0]
    for k in field.split("."):
        v = v[k] if v is not None else None
    print(v)
    sys.exit(0)
sys.exit(1)' "$2" "$3" "$4"
}
sa_child() { sa_query "$1" "$2" "$3" "$4"; }   # NAME CONN CHILD FIELD
sa_ike() { sa_query "$1" "$2" "" "$3"; }       # NAME CONN FIELD

# child_is NAME CONN CHILD STATE [REASON] -> true if the table says so
child_is() {
  [ "$(sa_child "$1" "$2" "$3" state 2>/dev/null)" = "$4" ] || return 1
  [ -z "${5:-}" ] || [ "$(sa_child "$1" "$2" "$3" last_down.reason 2>/dev/null)" = "$5" ]
}
# ike_is NAME CONN STATE [REASON]
ike_is() {
  [ "$(sa_ike "$1" "$2" state 2>/dev/null)" = "$3" ] || return 1
  [ -z "${4:-}" ] || [ "$(sa_ike "$1" "$2" last_down.reason 2>/dev/null)" = "$4" ]
}

# vici_sa NAME CONN CHILD|"" FIELD -> prints a field (a vici key, e.g.
# uniqueid, spi-in, dh-group) of the ESTABLISHED IKE_SA of connection CONN that
# charon reports over tunneld's vici socket (swanctl --list-sas), or of its
# INSTALLED CHILD_SA named CHILD; fails when charon has no such SA. What the
# SA table says is checked against this: charon's own truth.
vici_sa() {
  local name=$1 conn=$2 child=$3 field=$4
  tunneld_swanctl "$name" --list-sas --pretty --ike "$conn" 2>/dev/null | python3 -c '
import sys
conn, child, field = sys.argv[1:4]
# --pretty: "name {" opens a section, "}" closes it, "key = value", lists as
# "key = [" ... "]"; each section becomes (name, dict) in its parent list
root = {"": []}
stack = [root]
lst = None
for line in sys.stdin:
    t = line.strip()
    if lst is not None:
        if t == "]":
            lst = None
        else:
            lst.append(t)
    elif t.endswith("{"):
        sec = {"": []}
        stack[-1][""].append((t[:-1].strip(), sec))
        stack.append(sec)
    elif t == "}":
        stack.pop()
    elif " = " in t:
        k, v = t.split(" = ", 1)
        if v == "[":
            lst = stack[-1][k] = []
        else:
            stack[-1][k] = v
for ev_name, ev in root[""]:
    for ike_name, ike in ev[""] if ev_name == "list-sa event" else []:
        if ike_name != conn or ike.get("state") != "ESTABLISHED":
            continue
        rec = ike
        if child:
            kids = [c for n, cs in ike[""] if n == "child-sas" for _, c in cs[""]
                    if c.get("name") == child and c.get("state") == "INSTALLED"]
            if not kids:
                continue
            rec = kids[0]
        if field in rec:
            v = rec[field]
            print(" ".join(v) if isinstance(v, list) else v)
            sys.exit(0)
sys.exit(1)' "$conn" "$child" "$field"
}
# row_is_charons NAME CONN CHILD -> true when the SA table's rows for CONN and
# CONN's CHILD follow the SAs charon has ESTABLISHED/INSTALLED (unique ids and
# SPIs equal)
row_is_charons() {
  local name=$1 conn=$2 child=$3 v
  v=$(vici_sa "$name" "$conn" "" uniqueid) && [ "$(sa_ike "$name" "$conn" unique_id)" = "$v" ] || return 1
  v=$(vici_sa "$name" "$conn" "$child" uniqueid) && [ "$(sa_child "$name" "$conn" "$child" unique_id)" = "$v" ] || return 1
  v=$(vici_sa "$name" "$conn" "$child" spi-in) && [ "$(sa_child "$name" "$conn" "$child" spi_in)" = "$v" ] || return 1
  v=$(vici_sa "$name" "$conn" "$child" spi-out) && [ "$(sa_child "$name" "$conn" "$child" spi_out)" = "$v" ]
}

# tunneld_stop NAME -> SIGTERM, wait; true if it exited 0 within 30 s with no
# sanitizer report (a sanitized build exits non-zero on errors and leaks)
tunneld_stop() {
  local name=$1 pid rc
  eval "pid=\$TUNNELD_PID_$name"
  our_child "$pid" || { log "tunneld $name is not running"; return 1; }
  kill -TERM "$pid" 2>/dev/null || return 1
  for _ in $(seq 300); do our_child "$pid" || break; sleep 0.1; done
  if our_child "$pid"; then log "tunneld $name did not stop on SIGTERM"; return 1; fi
  wait "$pid"; rc=$?
  # any sanitizer report file fails (each glob on its own: one matching is enough)
  if compgen -G "$T_DIR/$name/asan*" >/dev/null || compgen -G "$T_DIR/$name/ubsan*" >/dev/null; then
    cat "$T_DIR/$name"/asan* "$T_DIR/$name"/ubsan* 2>/dev/null | head -60 >&2
    return 1
  fi
  [ "$rc" = 0 ] || { log "tunneld $name exited with $rc"; tail -5 "$T_DIR/$name/stderr.log"; }
  [ "$rc" = 0 ]
}
