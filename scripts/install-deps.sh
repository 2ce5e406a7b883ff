#!/usr/bin/env bash
# Installs every Debian 12 package tunneld needs to build, test and run the lab.
# Idempotent: safe to run again; it only installs what is missing.
# Also enables deb-src so the build can fetch strongSwan's Debian source package.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config dpkg-dev clang-format
  libssl-dev libgmp-dev libnl-3-dev libnl-route-3-dev libjson-c-dev libcmocka-dev
  libev-dev  # the health thread's event loop
  libcurl4-openssl-dev  # the application checks (CONNECT, proxy auth, TLS)
  libnftables-dev  # the outbound-only posture (forward policy)
  debhelper  # the Debian package (scripts/build-deb.sh, debian/)
  fakeroot  # dpkg-buildpackage as a user (Rules-Requires-Root: no)
  lintian  # the package's checks (tests/package/package_build.sh)
  libsystemd-dev  # sd_notify (Type=notify unit)
  qemu-system-x86  # the Debian 12 kernel VM (tests/vm)
  debootstrap  # the VM's root filesystem
  # test peers and tools (the other side of every integration test)
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
  libstrongswan-extra-plugins
  bird2 frr squid apache2-utils openssl nftables iproute2 iputils-ping procps psmisc
  util-linux valgrind python3
  acl  # setfacl: the secrets permission tests (ACL entries)
  libsystemd-dev  # sd_notify: tunneld under a Type=notify unit (tunneld/notify.c)
  systemd  # systemd-analyze: the unit's verify and security score (tests/systemd)
  python3-jsonschema  # preflight_netns: the preflight document against its schema
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# deb-src for 'apt-get source strongswan/bookworm' (deb822 sources on Debian 12)
src=/etc/apt/sources.list.d/debian.sources
need_update=0
if [ -f "$src" ] && ! grep -qE '^Types:.*deb-src' "$src"; then
  sed -i -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb deb-src/' "$src"
  need_update=1
elif [ ! -f "$src" ] && ! grep -rqsE '^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb-src http://deb.debian.org/debian bookworm main" > /etc/apt/sources.list.d/tunneld-src.list
  need_update=1
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

stamp=/var/lib/apt/periodic/tunneld-update-stamp
if [ "${#missing[@]}" -gt 0 ] || [ "$need_update" = 1 ] || [ ! -f "$stamp" ]; then
  apt-get update -q
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  # the daemons in these packages must not start on the host: tests start their own in netns
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all packages present"
