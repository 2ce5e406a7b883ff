#!/usr/bin/env bash
# Files that never end (issue 7, "Configuration input"): an include of a
# FIFO blocked `tunneld -n` forever, and on SIGHUP the main thread (SIGTERM
# was no longer handled). Every file tunneld reads (tunneld.conf, the
# connections file, every include) must be a regular file within the size
# limits: a FIFO, /dev/zero, /dev/urandom, a directory, a symlink to a FIFO,
# a file on /proc, a 17 MiB file, more than 64 MiB in one load, a 5 MB line,
# a 400 kB quoted string, an include loop, a missing file are each refused at
# once with a message naming it; so is every include libstrongswan's lexer
# would see (a comment ending at a CR, NUL and other control bytes), so that
# none escapes these checks
# (every run is bounded by `timeout`: a hang fails, it does not block).
#
#   conf_files.sh TUNNELD TUNNELCTL REPO_DIR
TEST=${TEST:-cfiles}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/integration/tunneld_env.sh"

netns_new gw
D=$T_DIR
mkfifo "$D/fifo"
ln -s fifo "$D/fifo-link"
mkdir -p "$D/dir" "$D/conf.d" "$D/big" "$D/empty.d"
echo "# regular" > "$D/conf.d/a.conf"
mkfifo "$D/conf.d/b.conf"
truncate -s 17M "$D/huge.conf"
# 15 MiB of short comment lines each
yes '# a comment line' | head -c 15M > "$D/big/1.conf"
for i in 2 3 4 5; do cp "$D/big/1.conf" "$D/big/$i.conf"; done
# one 5 MB line of blanks, one quoted value of 100,000 lines (libstrongswan's
# lexer rescans a token at every buffer refill: minutes for a long one)
head -c 5M /dev/zero | tr '\0' ' ' > "$D/blanks.conf"
{ printf 'x = "'; yes 'abc' | head -n 100000; printf '"\n'; } > "$D/string.conf"
cat > "$D/good.conf" <<CONF
include empty.d/*.conf
connections {
  c {
    remote_addrs = 192.0.2.2
    children {
      net {
        local_ts = 100.64.1.0/24
      }
    }
  }
}
CONF

tunneld_write_conf gw "$D/swanctl.conf"
cp "$D/gw/tunneld.conf" "$D/tunneld-good.conf"

# case ID INCLUDE EXPECT: the connections file includes INCLUDE
declare -A INC EXPECT
add() { INC[$1]=$2; EXPECT[$1]=$3; }
add fifo "fifo" "$D/fifo is a FIFO, expected a regular file"
add zero "/dev/zero" "/dev/zero is a character device, expected a regular file"
add urandom "/dev/urandom" "/dev/urandom is a character device, expected a regular file"
add dir "dir" "$D/dir is a directory, expected a regular file"
add link "fifo-link" "$D/fifo-link is a FIFO, expected a regular file"
add glob "conf.d/*.conf" "$D/conf.d/b.conf is a FIFO, expected a regular file"
add proc "/proc/self/status" "/proc/self/status is on a pseudo file system"
add huge "huge.conf" "$D/huge.conf is 17825792 bytes, at most 16777216 bytes per file"
add total "big/*.conf" "the files of one load exceed 67108864 bytes"
add loop "swanctl.conf" "include loop: $D/swanctl.conf is already being read"
add blanks "blanks.conf" "$D/blanks.conf:1: a line longer than 65536 bytes"
add string "string.conf" "$D/string.conf:1: a quoted string longer than 65536 bytes"
add missing "nothere.conf" "$D/nothere.conf: cannot read: No such file or directory"
add nodir "nothere.d/*.conf" "$D/nothere.d/*.conf: cannot expand the pattern: $D/nothere.d: No such file or directory"

# run_n ID -> tunneld -n bounded by timeout; rc in RC, output in $D/ID.out
run_n() {
  timeout 10 "$TUNNELD" -n -f "$D/gw/tunneld.conf" >"$D/$1.out" 2>&1
  RC=$?
}

cp "$D/good.conf" "$D/swanctl.conf"
check "-n accepts the file without a bad include (a glob matching nothing in empty.d)" timeout 10 "$TUNNELD" -n -f "$D/gw/tunneld.conf"
for c in "${!INC[@]}"; do
  { echo "include ${INC[$c]}"; cat "$D/good.conf"; } > "$D/swanctl.conf"
  run_n "$c"
  check "-n include $c: refused, not hung (exit $RC)" [ "$RC" = 1 ]
  check "-n include $c: '${EXPECT[$c]}'" grep -qF -- "${EXPECT[$c]}" "$D/$c.out"
  check "-n include $c: names the including line" grep -qF "$D/swanctl.conf:1: include '${INC[$c]}'" "$D/$c.out"
done

# the connections file itself
cp "$D/tunneld-good.conf" "$D/gw/tunneld.conf"
sed -i "s#swanctl_conf = .*#swanctl_conf = $D/fifo#" "$D/gw/tunneld.conf"
run_n topfifo
check "-n connections file is a FIFO: refused (exit $RC)" [ "$RC" = 1 ]
check "-n connections file is a FIFO: named" grep -qF "$D/fifo is a FIFO, expected a regular file" "$D/topfifo.out"

# the daemon settings file: itself, and its includes
timeout 10 "$TUNNELD" -n -f "$D/fifo" >"$D/setfifo.out" 2>&1
RC=$?
check "-n settings file is a FIFO: refused (exit $RC)" [ "$RC" = 1 ]
check "-n settings file is a FIFO: named" grep -qF "$D/fifo is a FIFO, expected a regular file" "$D/setfifo.out"
for inc in fifo /dev/zero; do
  { echo "include $inc"; cat "$D/tunneld-good.conf"; } > "$D/gw/tunneld.conf"
  run_n setinc
  check "-n settings file includes $inc: refused (exit $RC)" [ "$RC" = 1 ]
  check "-n settings file includes $inc: named" grep -qF "tunneld.conf:1: include '$inc'" "$D/setinc.out"
done

# includes hidden from a scan that differs from libstrongswan's lexer (hostile
# review, conf_hidden_include.sh): each hidden target is a FIFO, so a miss
# hangs -n (killed after 10 s: exit 137) instead of refusing it
cp "$D/tunneld-good.conf" "$D/gw/tunneld.conf"
mkfifo "$D/ok.confx" "$D/ab"
cp "$D/good.conf" "$D/a" # what a scan that keeps "a\<NUL>b" up to the NUL checks
cp "$D/good.conf" "$D/ok.conf"
# hidden ID EXPECT -> -n refuses $D/swanctl.conf at once, saying EXPECT
hidden() {
  timeout -s KILL 10 "$TUNNELD" -n -f "$D/gw/tunneld.conf" >"$D/$1.out" 2>&1
  RC=$?
  check "-n hidden include $1: refused at once, not hung (exit $RC)" [ "$RC" = 1 ]
  check "-n hidden include $1: '$2'" grep -qF -- "$2" "$D/$1.out"
}
# A: the parser keeps "ok.conf" and "x" (each cut at its NUL): ok.confx
printf 'include ok.conf\0"x"\n' > "$D/swanctl.conf"
hidden nul-pattern "$D/swanctl.conf:1: control byte 0x00 at column 16: a configuration file may hold tab, CR and LF but no other control byte"
# B: a comment ends at a CR when no newline follows (the file's last line)
{ cat "$D/good.conf"; printf '# c\rinclude fifo'; } > "$D/swanctl.conf"
hidden cr-last-line "$D/swanctl.conf:12: include 'fifo': $D/fifo is a FIFO, expected a regular file"
# ... or when blanks come before the '#', newline or not
{ cat "$D/good.conf"; printf ' # c\rinclude fifo\n'; } > "$D/swanctl.conf"
hidden cr-blank "$D/swanctl.conf:12: include 'fifo': $D/fifo is a FIFO, expected a regular file"
# ... also in an included file
printf '# c\rinclude fifo' > "$D/tail.conf"
{ echo "include tail.conf"; cat "$D/good.conf"; } > "$D/swanctl.conf"
hidden cr-included "$D/tail.conf:1: include 'fifo': $D/fifo is a FIFO, expected a regular file"
# C: an escaped NUL in a quoted pattern is dropped: "a\<NUL>b" opens ab
printf 'include "a\\\0b"\n' > "$D/swanctl.conf"
hidden nul-escaped "$D/swanctl.conf:1: control byte 0x00 at column 12"
# other control bytes, anywhere (here in a comment of the settings file)
{ printf '# \x1b[2J\n'; cat "$D/tunneld-good.conf"; } > "$D/gw/tunneld.conf"
hidden control-settings "$D/gw/tunneld.conf:1: control byte 0x1b at column 3"
cp "$D/tunneld-good.conf" "$D/gw/tunneld.conf"
# two blanks then '=': an include with an empty pattern for the lexer
{ printf 'include  = x\n'; cat "$D/good.conf"; } > "$D/swanctl.conf"
hidden empty-pattern "$D/swanctl.conf:1: include '': no file pattern after 'include'"

# reloads: a bad include is refused, the main thread stays free
cp "$D/tunneld-good.conf" "$D/gw/tunneld.conf"
cp "$D/good.conf" "$D/swanctl.conf"
tunneld_start gw
LOGF=$D/gw/tunneld.log
check "tunneld loads the good file" wait_for 20 "loaded" grep -q "loaded connection 'c'" "$LOGF"
{ echo "include fifo"; cat "$D/good.conf"; } > "$D/swanctl.conf"
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP: the FIFO include is refused" wait_for 10 "refusal" grep -qF \
  "connections not (re)loaded, previous ones kept: $D/swanctl.conf:1: include 'fifo': $D/fifo is a FIFO" "$LOGF"
{ echo "include /dev/zero"; cat "$D/tunneld-good.conf"; } > "$D/gw/tunneld.conf"
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP: the settings include of /dev/zero is refused" wait_for 10 "settings refusal" grep -qF \
  "settings not reloaded, previous ones kept: $D/gw/tunneld.conf:1: include '/dev/zero': /dev/zero is a character device" "$LOGF"
check "tunneld still answers" wait_for 10 "tunnelctl" tctl gw sa
check "the connection is kept" sh -c "'$TUNNELCTL' -s '$D/gw/ctl' sa | grep -q '^c '"
check "SIGTERM after the refused reloads stops tunneld cleanly (main thread not blocked)" \
  tunneld_stop gw
finish
