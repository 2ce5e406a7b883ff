#!/bin/bash
# Names at and past the limits, and hostile names. The engine refuses a
# configuration whose reasons could outgrow CHECKS_REASON_MAX rather than
# truncate them: the longest endpoint name it accepts (found here by
# bisection) gets its whole name in a real failure's reason (twice: a
# certificate that names another host), one byte more is refused (exit 2,
# the limit named); '%', control bytes and malformed names are refused with
# a message of printable text, the same name given in a hosts file or not.
TEST=cklimits
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
ck_ca ca "Test Azure CA"
# name LEN -> a name of LEN bytes under blob.core.windows.net (labels <= 63)
name() {
  local n=$(($1 - 22)) s="" l
  while [ "$n" -gt 0 ]; do
    l=$((n > 63 ? 63 : n))
    [ $((n - l)) -eq 1 ] && l=$((l - 2)) # (never a last label of 0 bytes)
    s+=$(head -c "$l" /dev/zero | tr '\0' x).
    n=$((n - l - 1))
  done
  echo "${s}blob.core.windows.net"
}
# accepted LEN -> the probe takes a check of a LEN-byte name (exit 0 or 1)
accepted() {
  ck_probe --connect-timeout 500 "$(name "$1"):443" >/dev/null
  [ "$CK_RC" = 0 ] || [ "$CK_RC" = 1 ]
}
check "a 40-byte name is accepted" accepted 40
lo=40 hi=254
while [ $((hi - lo)) -gt 1 ]; do
  mid=$(((lo + hi) / 2))
  if accepted $mid; then lo=$mid; else hi=$mid; fi
done
log "longest name accepted with this CA file ($CK_CA): $lo bytes"
check "the longest accepted name is at least 64 bytes (Azure's own names fit)" [ "$lo" -ge 64 ]
H=$(name $lo)
check "name() made $lo bytes" [ ${#H} -eq "$lo" ]
ck_cert "$T_DIR/pki/other.pem" ca other.example other.example
ck_endpoint "$H" 100.64.2.10 tls12 "$T_DIR/pki/other.pem"
ck_fail_reason "$H:443" tls "$H:443: certificate does not name $H (subject CN=other.example)"
if [ "$hi" -le 253 ]; then
  ck_probe "$(name "$hi"):443"
  ck_rc_is 2
  check "one byte more: refused naming the limit" grep -q "at most 255" "$CK_ERR"
  check "one byte more: no row" [ ! -s "$CK_OUT" ]
fi

# hostile names: refused (exit 2), the message printable
printable() { ! LC_ALL=C grep -q '[[:cntrl:]]' "$CK_ERR"; }
for h in 'bad%n%s.blob.core.windows.net' $'bad\x01\x1b[2J.blob.core.windows.net' \
  '-x.blob.core.windows.net' "$(name 254)" ''; do
  ck_probe "$h:443"
  ck_rc_is 2
  check "name $(printf '%q' "${h:0:40}"): message of printable text" printable
  check "name $(printf '%q' "${h:0:40}"): no row" [ ! -s "$CK_OUT" ]
done
finish
