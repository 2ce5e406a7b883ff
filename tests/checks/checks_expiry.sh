#!/bin/bash
# Certificates by date, made for real with `openssl ca -startdate/-enddate`:
# expired 3 days (and an hour) ago -> fails; expiring in 5 days (and an
# hour) -> passes with a warning (default 14 days), and without one at
# --warn-days 3.
TEST=ckexpiry
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
X=expired.blob.core.windows.net
Y=soon.blob.core.windows.net
ck_ca ca "Test Azure CA"
ck_cert "$T_DIR/pki/$X.pem" ca $X $X -864000 $((-3 * 86400 - 3600))
ck_cert "$T_DIR/pki/$Y.pem" ca $Y $Y -864000 $((5 * 86400 + 3600))
ck_endpoint $X 100.64.2.22 tls12 "$T_DIR/pki/$X.pem"
ck_endpoint $Y 100.64.2.26 tls13 "$T_DIR/pki/$Y.pem"

ck_fail_reason $X:443 tls "$X:443: certificate expired 3 days ago"
want=$(date -d "$(openssl x509 -noout -enddate -in "$T_DIR/pki/$X.pem" | cut -d= -f2)" +%s)
ck_is $X:443 cert_not_after "$want"
ck_is $X:443 cert_subject "CN=$X"

ck_probe $Y:443
ck_rc_is 0
ck_is $Y:443 verdict warn
ck_is $Y:443 reason "$Y:443: certificate expires in 5 days"
ck_path_is default ok true
ck_probe --warn-days 3 $Y:443
ck_rc_is 0
ck_is $Y:443 verdict pass
finish
