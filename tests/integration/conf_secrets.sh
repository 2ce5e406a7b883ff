#!/usr/bin/env bash
# Secrets (issue 7 items 13 and 18): a file holding secrets readable or
# writable by others, or owned by another user, is refused (the top file, an
# include with a secrets section, an include inside `secrets`, tunneld.conf
# with a `secret` key), so is one an ACL entry opens to another user or
# group, one its group may write, one in a directory (or below one) someone
# else may change; group-readable is a warning; NUL bytes and key names split
# over includes do not hide a secret from these checks; the swanctl file is
# installed 0600. Invalid 0x/0s encodings, unknown secret types and keys are
# errors naming file:line, section and key, never the value; no message or
# log line ever carries a secret, also for parse errors on the secret's line.
# -n, start and SIGHUP agree; a valid 0x key (with ':') equals the peer's
# plain PSK (the tunnel comes up).
#
#   conf_secrets.sh TUNNELD TUNNELCTL REPO_DIR   (BUILD_DIR: the cmake build
#   tree for the install check; default: two levels above TUNNELD)
TEST=${TEST:-csecrets}
TUNNELD=$1 TUNNELCTL=$2 REPO=$3
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/peers.sh"
. "$REPO/tests/lib/azure.sh"
. "$REPO/tests/integration/tunneld_env.sh"
BUILD_DIR=${BUILD_DIR:-$(dirname "$(dirname "$TUNNELD")")}

azure_netns gw az
D=$T_DIR
PSK=plain-psk-for-the-hex-test
PSK_HEX=0x$(printf '%s' "$PSK" | od -An -tx1 | tr -s ' \n' ':' | sed 's/^://; s/:$//')

conn() {
  cat <<CONF
connections {
  site {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    local {
      auth = psk
      id = gw@sensors
    }
    remote {
      auth = psk
      id = az-gw
    }
    children {
      net {
        local_ts = 100.64.1.0/24
        remote_ts = 100.64.2.0/24
        esp_proposals = aes256gcm16
        start_action = start
      }
    }
  }
}
CONF
}
# secrets_file FILE SECRET-LINE... -> the connection and one secret section
secrets_file() {
  local f=$1; shift
  { conn; printf 'secrets {\n  ike-site {\n    id-1 = gw@sensors\n'
    local l; for l in "$@"; do printf '    %s\n' "$l"; done; printf '  }\n}\n'; } > "$f"
}

tunneld_write_conf gw "$D/swanctl.conf"
cp "$D/gw/tunneld.conf" "$D/tunneld-good.conf"
# run_n NAME -> tunneld -n (bounded); rc in RC, output in $D/NAME.out
run_n() {
  timeout 10 "$TUNNELD" -n -f "$D/gw/tunneld.conf" >"$D/$1.out" 2>&1
  RC=$?
}
# refused NAME TEXT -> -n exits 1 and says TEXT
refused() {
  run_n "$1"
  check "-n $1: refused (exit $RC)" [ "$RC" = 1 ]
  check "-n $1: says '$2'" grep -qF -- "$2" "$D/$1.out"
}

# --- permissions
secrets_file "$D/swanctl.conf" "secret = LEAK-perm-1"
chmod 600 "$D/swanctl.conf"
run_n perm600
check "-n: a 0600 secrets file is accepted (exit $RC)" [ "$RC" = 0 ]
chmod 644 "$D/swanctl.conf"
refused perm644 "$D/swanctl.conf holds secrets (line 25) but its mode 0644 gives other users access to it: run chmod 600 $D/swanctl.conf"
chmod 602 "$D/swanctl.conf"
refused perm602 "its mode 0602 gives other users access to it"
chmod 640 "$D/swanctl.conf"
run_n perm640
check "-n: group-readable is accepted (exit $RC)" [ "$RC" = 0 ]
check "-n: with a warning naming file, mode and group" \
  grep -qF "warning: $D/swanctl.conf holds secrets (line 25) and its mode 0640 gives group 0 access to it" "$D/perm640.out"
chmod 600 "$D/swanctl.conf"
chown 65534 "$D/swanctl.conf"
refused owner "$D/swanctl.conf holds secrets (line 25) but is owned by uid 65534, not root: run chown root $D/swanctl.conf"
chown 0 "$D/swanctl.conf"

# an include with a secrets section; an include inside `secrets`; presets (0644, no secrets) are fine
mkdir -p "$D/secrets.d"
{ echo "include $REPO/conf/presets/*.conf"; echo "include secrets.d/*.conf"; conn; } > "$D/swanctl.conf"
printf 'secrets {\n  ike-site {\n    secret = LEAK-inc-2\n  }\n}\n' > "$D/secrets.d/psk.conf"
chmod 644 "$D/secrets.d/psk.conf"
refused incperm "$D/secrets.d/psk.conf holds secrets (line 2) but its mode 0644"
chmod 600 "$D/secrets.d/psk.conf"
run_n incok
check "-n: 0644 presets and a 0600 secrets include are accepted (exit $RC)" [ "$RC" = 0 ]
{ conn; printf 'secrets {\n  include psk-only.conf\n}\n'; } > "$D/swanctl.conf"
printf 'ike-site {\n  secret = LEAK-inside-3\n}\n' > "$D/psk-only.conf"
chmod 644 "$D/psk-only.conf"
refused inside "$D/psk-only.conf holds secrets (line 1) but its mode 0644"
# the daemon settings file with a secret key
secrets_file "$D/swanctl.conf" "secret = LEAK-ok-4"
{ cat "$D/tunneld-good.conf"; printf 'x {\n  radius {\n    secret = LEAK-radius-5\n  }\n}\n'; } > "$D/gw/tunneld.conf"
chmod 644 "$D/gw/tunneld.conf"
refused setperm "$D/gw/tunneld.conf holds secrets"
cp "$D/tunneld-good.conf" "$D/gw/tunneld.conf"

# --- who may read, change or replace a secrets file (hostile review, conf_acl.sh):
# ACL entries, a group that may write, directories others may change
secrets_file "$D/swanctl.conf" "secret = LEAK-acl-1"
chmod 600 "$D/swanctl.conf"
setfacl -m u:nobody:r "$D/swanctl.conf"
refused acl-user "$D/swanctl.conf holds secrets (line 25) but its ACL entry user:65534:r-- gives user 65534 access to it: run setfacl -x user:65534 $D/swanctl.conf"
chmod 600 "$D/swanctl.conf" # the ACL mask becomes ---: the entry gives nothing
run_n acl-masked
check "-n: an ACL entry the mask cancels is accepted (exit $RC)" [ "$RC" = 0 ]
setfacl -b "$D/swanctl.conf"
setfacl -m g:100:r "$D/swanctl.conf"
refused acl-group "its ACL entry group:100:r-- gives group 100 access to it: run setfacl -x group:100"
setfacl -b "$D/swanctl.conf"
setfacl -m u:0:rw,g::r "$D/swanctl.conf"
run_n acl-root
check "-n: ACL entries for root and a group that may read are accepted (exit $RC)" [ "$RC" = 0 ]
check "-n: with a warning naming the ACL's group entry" \
  grep -qF "warning: $D/swanctl.conf holds secrets (line 25) and its ACL entry group::r-- gives group 0 access to it" "$D/acl-root.out"
setfacl -m g::rw "$D/swanctl.conf"
refused acl-groupobj "its ACL entry group::rw- lets group 0 change it: run chmod 600 $D/swanctl.conf"
setfacl -b "$D/swanctl.conf"
chmod 660 "$D/swanctl.conf"
refused perm660 "$D/swanctl.conf holds secrets (line 25) but its mode 0660 lets group 0 change it: run chmod 600 $D/swanctl.conf"
chmod 600 "$D/swanctl.conf"
# the directories above it: the one holding it, a parent, through a symlink
mkdir -p "$D/ww/sub" "$D/safe"
{ conn; echo "include ww/sub/psk.conf"; } > "$D/swanctl.conf"
printf 'secrets {\n  ike-site {\n    secret = LEAK-dir-2\n  }\n}\n' > "$D/ww/sub/psk.conf"
chmod 600 "$D/ww/sub/psk.conf"
run_n dirok
check "-n: a 0600 secrets file in 0755 directories is accepted (exit $RC)" [ "$RC" = 0 ]
chmod 777 "$D/ww/sub"
refused dir777 "$D/ww/sub/psk.conf holds secrets (line 2) but the directory $D/ww/sub (mode 0777) lets other users replace the file: run chmod o-w $D/ww/sub"
chmod 1777 "$D/ww/sub"
run_n dirsticky
check "-n: a sticky world-writable directory is accepted (exit $RC)" [ "$RC" = 0 ]
chmod 775 "$D/ww/sub"
refused dir775 "the directory $D/ww/sub (mode 0775) lets group 0 replace the file: run chmod g-w $D/ww/sub"
chmod 755 "$D/ww/sub"
chmod 757 "$D/ww"
refused parent "the directory $D/ww (mode 0757) lets other users replace the file"
chmod 755 "$D/ww"
chown 65534 "$D/ww"
refused dirowner "the directory $D/ww is owned by uid 65534, who may replace the file: run chown root $D/ww"
chown 0 "$D/ww"
setfacl -m u:nobody:rwx "$D/ww/sub"
refused diracl "the directory $D/ww/sub has the ACL entry user:65534:rwx, which lets user 65534 replace the file: run setfacl -x user:65534 $D/ww/sub"
setfacl -b "$D/ww/sub"
# a symlink in a safe directory to a file in an unsafe one: the target's directory counts
mv "$D/ww/sub/psk.conf" "$D/safe/psk.conf"
ln -s ../../safe/psk.conf "$D/ww/sub/psk.conf"
chmod 777 "$D/safe"
refused symlink "$D/ww/sub/psk.conf holds secrets (line 2) but the directory $D/safe (mode 0777) lets other users replace the file"
chmod 755 "$D/safe"
run_n symlinkok
check "-n: the secrets file through a symlink, all directories safe, is accepted (exit $RC)" [ "$RC" = 0 ]

# secrets hidden from the scan (hostile review, conf_nul_secrets.sh): names cut
# at a NUL byte by the parser ("secrets\0 {", "secret\0 = "), and a section
# name and a key name whose '{' and '=' come from included files
{ conn; printf 'secrets\0 {\n  ike-site {\n    id-1 = gw@sensors\n    secret\0 = LEAK-nul-6\n  }\n}\n'; } > "$D/swanctl.conf"
chmod 644 "$D/swanctl.conf"
refused nul "$D/swanctl.conf:24: control byte 0x00 at column 8: a configuration file may hold tab, CR and LF but no other control byte"
{ conn; printf 'secrets\ninclude rest.conf\n'; } > "$D/swanctl.conf"
printf '{\n  ike-site {\n    id-1 = gw@sensors\n    secret\n    include val.conf\n  }\n}\n' > "$D/rest.conf"
printf '= LEAK-split-7\n' > "$D/val.conf"
chmod 600 "$D/swanctl.conf"
chmod 644 "$D/rest.conf" "$D/val.conf"
refused split "$D/val.conf holds secrets (line 1) but its mode 0644 gives other users access to it"
chmod 600 "$D/val.conf"
refused split2 "$D/rest.conf holds secrets (line 2) but its mode 0644 gives other users access to it"
chmod 600 "$D/rest.conf"
run_n split3
check "-n: the split secret in 0600 files is accepted (exit $RC)" [ "$RC" = 0 ]

# --- encodings, types and keys
chk_secret() {  # NAME EXPECT SECRET-LINE...
  local name=$1 expect=$2; shift 2
  secrets_file "$D/swanctl.conf" "$@"
  refused "$name" "$expect"
}
chk_secret hex "$D/swanctl.conf:25: secrets.ike-site.secret: the value is not valid hex after 0x" "secret = 0xLEAK6"
chk_secret hexodd "secrets.ike-site.secret: the value is not valid hex" "secret = 0x0a0b0"
chk_secret hexcolon "secrets.ike-site.secret: the value is not valid hex" "secret = 0x0a:0b0c"
chk_secret b64 "secrets.ike-site.secret: the value is not valid base64 after 0s" "secret = 0sLEAK7"
chk_secret b64pad "secrets.ike-site.secret: the value is not valid base64" "secret = 0sQUJD=QUJD"
chk_secret empty "secrets.ike-site.secret: the value is empty" 'secret = ""'
chk_secret nokey "secrets.ike-site: no 'secret' key" "id-2 = az-gw"
chk_secret badkey "secrets.ike-site.secert: unknown key (expected 'secret' and 'id' keys)" "secert = LEAK-8"
chk_secret subsec "secrets.ike-site: unexpected section 'x' (a secret has keys only)" "secret = LEAK-9" "x {" "}"
{ conn; printf 'secrets {\n  psk-site {\n    secret = LEAK-10\n  }\n}\n'; } > "$D/swanctl.conf"
refused type "secrets.psk-site: expected a name starting with the secret's type: ike, eap, xauth, ntlm or ppk"
# parse errors on the secret's line
chk_secret unterminated "swanctl.conf:" 'secret = "LEAK-unterminated-11'
chk_secret braces "swanctl.conf:27: syntax error" "secret = LEAK-braces-12 }}}"

# --- the same refusals at start and on SIGHUP
LOGF=$D/gw/tunneld.log
azure_gateway_conf "$D/peer.conf" "$PSK"
charon_peer_start az "$D/peer.conf"
azure_site_conf "$D/swanctl.conf" "$PSK_HEX"
chmod 644 "$D/swanctl.conf"
tunneld_start gw
check "start: the 0644 secrets file is refused" wait_for 10 "refusal" grep -qF \
  "connections not (re)loaded, previous ones kept: $D/swanctl.conf holds secrets (line 21) but its mode 0644" "$LOGF"
chmod 600 "$D/swanctl.conf"
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP after chmod 600: the 0x key with ':' equals the peer's plain PSK (tunnel up)" \
  wait_for 30 "child up" child_is gw azure sensors up
chmod 644 "$D/swanctl.conf"
perm_refusals() { grep -c "connections not (re)loaded.*mode 0644" "$LOGF"; }
n0=$(perm_refusals)
more_perm_refusals() { [ "$(perm_refusals)" -gt "$n0" ]; }
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP with 0644 again: refused" wait_for 10 "second refusal" more_perm_refusals
chmod 600 "$D/swanctl.conf"
sed -i 's/secret = .*/secret = 0xLEAK-13/' "$D/swanctl.conf"
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP with an invalid hex secret: refused naming section and key" wait_for 10 "hex refusal" \
  grep -qF "connections not (re)loaded, previous ones kept: $D/swanctl.conf:21: secrets.ike-azure.secret: the value is not valid hex after 0x" "$LOGF"
sed -i 's/secret = .*/secret = LEAK-braces-14 }}}/' "$D/swanctl.conf"
kill -HUP "$TUNNELD_PID_gw"
check "SIGHUP with a parse error on the secret's line: refused" wait_for 10 "parse refusal" \
  grep -q "connections not (re)loaded, previous ones kept: $D/swanctl.conf:24: syntax error" "$LOGF"
check "the tunnel is kept through the refused reloads" child_is gw azure sensors up
check "tunneld stops cleanly" tunneld_stop gw

# --- no secret in any output or log
check "no secret value in any -n output, log or stderr" \
  sh -c "! grep -rl -e LEAK -e '$PSK' '$D'/*.out '$D/gw/tunneld.log' '$D/gw/stderr.log'"

# --- the install rule
if [ -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake --install "$BUILD_DIR" --prefix "$D/inst" >"$D/install.log" 2>&1
  check "cmake --install succeeds" [ $? = 0 ]
  mode=$(stat -c %a "$D/inst/etc/tunneld/swanctl.conf" 2>/dev/null)
  check "the swanctl file is installed 0600 (got $mode)" [ "$mode" = 600 ]
else
  fail "no cmake build tree at $BUILD_DIR for the install check (set BUILD_DIR)"
fi
finish
