#!/bin/bash
# An endpoint that offers only AES-128 (TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256):
# the check fails naming the cipher; with AES not required, the reason is
# the strength against the policy's bits; with 128 bits allowed, it passes.
TEST=ckaes128
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/checks_lib.sh"

ck_net
W=weak.blob.core.windows.net
ck_endpoint $W 100.64.2.21 aes128

ck_fail_reason $W:443 tls "$W:443: cipher ECDHE-RSA-AES128-GCM-SHA256 is not AES-256"
ck_fail_reason $W:443 tls "$W:443: cipher ECDHE-RSA-AES128-GCM-SHA256 is 128-bit (policy: 256-bit)" \
  --no-require-aes
ck_probe --min-bits 128 $W:443
ck_rc_is 0
ck_is $W:443 verdict pass
ck_is $W:443 cipher ECDHE-RSA-AES128-GCM-SHA256
ck_is $W:443 cipher_bits 128
finish
