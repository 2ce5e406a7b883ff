# Real peers for integration tests. Source after common.sh.
#
# Stock Debian strongSwan charon as a cloud VPN gateway, in a test netns with
# a private /run (charon keeps a fixed pid file there) and its own
# STRONGSWAN_CONF and vici socket under $T_DIR.

STOCK_CHARON=${STOCK_CHARON:-/usr/lib/ipsec/charon}
STOCK_SWANCTL=${STOCK_SWANCTL:-/usr/sbin/swanctl}
STOCK_PLUGINS="random nonce aes sha1 sha2 hmac kdf openssl pem pkcs1 x509 revocation constraints pubkey curve25519 kernel-libipsec kernel-netlink socket-default vici updown"

# charon_peer_start NAME SWANCTL_CONF [extra charon settings...]
# -> starts stock charon in netns "$TEST-NAME", loads SWANCTL_CONF with swanctl
charon_peer_start() {
  local name=$1 swconf=$2; shift 2
  local dir="$T_DIR/$name"
  mkdir -p "$dir"
  {
    echo "charon {"
    echo "  load = $STOCK_PLUGINS"
    echo "  install_routes = yes"
    printf '  plugins {\n    vici {\n      socket = unix://%s/vici\n    }\n  }\n' "$dir"
    printf '  filelog {\n    peer {\n      path = %s/charon.log\n      flush_line = yes\n      default = 1\n      cfg = 2\n      ike = 2\n      time_format = %%H:%%M:%%S\n    }\n  }\n' "$dir"
    local kv
    for kv in "$@"; do echo "  $kv"; done
    echo "}"
  } > "$dir/strongswan.conf"
  spawn "$dir/stdout.log" env STRONGSWAN_CONF="$dir/strongswan.conf" \
    ip netns exec "$TEST-$name" unshare -m sh -c \
    'mount -t tmpfs none /run && exec "$0"' "$STOCK_CHARON"
  eval "PEER_PID_$name=$LAST_PID"
  wait_for 15 "$name vici socket" peer_ready "$dir/vici" "$LAST_PID" && test -S "$dir/vici" ||
    { tail -5 "$dir/stdout.log" >&2; die "stock charon $name did not start"; }
  STRONGSWAN_CONF="$dir/strongswan.conf" ip netns exec "$TEST-$name" \
    timeout -k 1 60 "$STOCK_SWANCTL" --load-all --file "$swconf" --uri "unix://$dir/vici" \
    > "$dir/swanctl-load.log" 2>&1 || { cat "$dir/swanctl-load.log" >&2; die "swanctl --load-all on $name failed"; }
}

peer_ready() { test -S "$1" || ! our_child "$2"; }

# peer_swanctl NAME args... -> Debian swanctl against that peer (bounded)
peer_swanctl() {
  local name=$1; shift
  local cmd=$1; shift
  STRONGSWAN_CONF="$T_DIR/$name/strongswan.conf" timeout -k 1 60 \
    "$STOCK_SWANCTL" "$cmd" --uri "unix://$T_DIR/$name/vici" "$@"
}

# drop_ike NAME TABLE / undrop_ike NAME TABLE -> the host in netns "$TEST-NAME"
# stops (starts again) receiving IKE and NAT-T (udp 500, 4500)
drop_ike() {
  ip netns exec "$TEST-$1" nft -f - <<NFT
table inet $2 {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport { 500, 4500 } drop
  }
}
NFT
}
undrop_ike() { ip netns exec "$TEST-$1" nft delete table inet "$2"; }
