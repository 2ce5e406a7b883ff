# The Azure site used by the tests and the lab: 198.51.100.1 (sensor gateway,
# sensors 100.64.1.0/24) <-> 198.51.100.2 (Azure VPN gateway, VNet 100.64.2.0/24).

# azure_gateway_conf FILE PSK -> swanctl.conf for the stand-in Azure VPN
# gateway (stock charon, responder) with Azure's default route-based policy
# (files holding a PSK are made 0600, as a secrets file must be)
azure_gateway_conf() {
  install -m 600 /dev/null "$1"
  cat > "$1" <<CONF
connections {
  azure-gw {
    version = 2
    local_addrs = 198.51.100.2
    proposals = aes256-sha1-modp1024, aes256-sha256-modp1024, aes128-sha1-modp1024, aes128-sha256-modp1024
    dpd_delay = 45s
    mobike = no
    encap = yes
    local {
      auth = psk
      id = 198.51.100.2
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      vnet {
        local_ts = 100.64.2.0/24
        remote_ts = 100.64.1.0/24
        esp_proposals = aes256gcm16, aes256-sha256, aes256-sha1
        life_time = 27000s
      }
    }
  }
}
$(azure_secret ike-gw "$2")
CONF
}

# azure_site_conf FILE PSK [KEY=VALUE lines for the connection...] -> tunneld's
# swanctl file: connection "azure" from the shipped preset, child "sensors"
azure_site_conf() {
  local file=$1 psk=$2; shift 2
  local extra="" kv
  for kv in "$@"; do extra="$extra    $kv
"; done
  install -m 600 /dev/null "$file"
  cat > "$file" <<CONF
include $REPO/conf/presets/*.conf
connections {
  azure : presets.azure {
    local_addrs = 198.51.100.1
    remote_addrs = 198.51.100.2
${extra}    local {
      id = 198.51.100.1
    }
    remote {
      id = 198.51.100.2
    }
    children {
      sensors : presets.azure-child {
        local_ts = 100.64.1.0/24
        remote_ts = 100.64.2.0/24
      }
    }
  }
}
$(azure_secret ike-azure "$psk")
CONF
}

azure_secret() {
  printf 'secrets {\n  %s {\n    id-1 = 198.51.100.1\n    id-2 = 198.51.100.2\n    secret = %s\n  }\n}\n' "$1" "$2"
}

# azure_netns GW AZ -> the two hosts, the link and the protected addresses
azure_netns() {
  netns_new "$1"
  netns_new "$2"
  veth_pair "$1" eth0 198.51.100.1/24 "$2" eth0 198.51.100.2/24
  nsx "$1" ip addr add 100.64.1.1/32 dev lo
  nsx "$2" ip addr add 100.64.2.1/32 dev lo
}
