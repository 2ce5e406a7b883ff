#!/usr/bin/env bash
# Builds the pinned strongSwan 5.9.8 (Debian bookworm source package, Debian's
# patches applied) into a private prefix, once. Later calls reuse it.
#
#   build-strongswan.sh <workdir>
#   build-strongswan.sh <workdir> --system   (the Debian package's build)
#
# --system configures for the installed paths (/usr/lib/tunneld, its plugins
# in /usr/lib/tunneld/plugins, RUNPATH /usr/lib/tunneld as libtool writes it)
# and installs with DESTDIR=<workdir>/stage: <workdir>/stage/usr/lib/tunneld.
# The compiler flags in the environment (dpkg-buildflags under dh) reach its
# configure and are part of its stamp. TUNNELD_STRONGSWAN_SOURCES may name a
# directory holding strongswan_5.9.8-*.dsc and its files (an earlier download,
# e.g. build/strongswan/src): then nothing is fetched.
#
# Result: <workdir>/prefix (libcharon, libstrongswan, libvici, plugins, swanctl,
# installed dev headers) and <workdir>/src/strongswan-5.9.8 (the configured tree
# whose libcharon headers and config.h the project's plugins compile against).
# <workdir>/prefix/.stamp records the configure line; a different line rebuilds.
set -euo pipefail

work=${1:?usage: build-strongswan.sh <workdir> [--system]}
mode=${2:-}
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix
srcdir=$work/src
version=5.9.8
suite=bookworm
# sha256 of strongswan-5.9.8.tar.bz2 (= Debian's strongswan_5.9.8.orig.tar.bz2)
orig_sha256=d3303a43c0bd7b75a12b64855e8edcb53696f06190364f26d1533bde1f2e453c

# One configure line: tunneld links this libcharon and its plugins compile
# against this tree. Mediation stays off (it changes ike_sa_t's layout).
conf=(
  --prefix="$prefix" --sysconfdir="$prefix/etc"
  --with-dev-headers="$prefix/include/strongswan"
  --disable-defaults --disable-mediation
  --enable-charon --enable-swanctl --enable-vici --enable-ikev2 --disable-ikev1
  --enable-openssl --enable-random --enable-nonce --enable-pem --enable-pkcs1
  --enable-x509 --enable-pubkey --enable-kdf --enable-constraints --enable-revocation
  --enable-kernel-netlink --enable-kernel-libipsec --enable-socket-default
  --enable-updown --enable-curve25519
)
if [ "$mode" = --system ]; then
  prefix=$work/stage/usr
  conf=(
    --prefix=/usr --sysconfdir=/etc --libexecdir=/usr/lib
    --with-ipseclibdir=/usr/lib/tunneld --with-plugindir=/usr/lib/tunneld/plugins
    --with-ipsecdir=/usr/lib/tunneld
    "${conf[@]:3}"
  )
  # no build path in the installed files (__FILE__ and debug info)
  export CFLAGS="${CFLAGS:-} -ffile-prefix-map=$srcdir/strongswan-$version=."
elif [ -n "$mode" ]; then
  echo "build-strongswan: unknown mode '$mode' (only --system)" >&2
  exit 2
fi
stamp_text="$version ${conf[*]}"
if [ "$mode" = --system ]; then
  # the prefix maps name the build directories only: a build elsewhere reuses it
  flags=$(printf '%s' "CFLAGS=${CFLAGS} CPPFLAGS=${CPPFLAGS:-} LDFLAGS=${LDFLAGS:-}" \
    | sed -E 's/ ?-f(file|debug|macro)-prefix-map=[^ ]*//g')
  stamp_text="$stamp_text $flags"
fi

if [ "$mode" = --system ] && [ -f "$work/stage/.stamp" ] \
   && [ "$(cat "$work/stage/.stamp")" = "$stamp_text" ] \
   && [ -f "$work/stage/usr/lib/tunneld/libcharon.so" ]; then
  echo "build-strongswan: reusing $work/stage"
  exit 0
fi
if [ "$mode" != --system ] && [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$stamp_text" ] \
   && [ -f "$prefix/lib/ipsec/libcharon.so" ]; then
  echo "build-strongswan: reusing $prefix"
  exit 0
fi

if [ ! -d "$srcdir/strongswan-$version" ]; then
  rm -rf "$srcdir.tmp" && mkdir -p "$srcdir.tmp"
  (
    cd "$srcdir.tmp"
    given=${TUNNELD_STRONGSWAN_SOURCES:-}
    if [ -n "$given" ] && ls "$given"/strongswan_${version}-*.dsc >/dev/null 2>&1; then
      # an earlier download: copy the .dsc and the files it names
      cp "$given"/strongswan_${version}[-.]* .
    else
      # deb-src must be enabled (scripts/install-deps.sh does it)
      apt-get source --download-only "strongswan/$suite"
    fi
    dsc=$(ls strongswan_${version}-*.dsc | head -n1)
    # the upstream tarball is pinned (Debian's revision may move with
    # security updates; dpkg-source checks the rest against the .dsc)
    echo "$orig_sha256  strongswan_${version}.orig.tar.bz2" | sha256sum -c --quiet - || {
      echo "build-strongswan: strongswan_${version}.orig.tar.bz2 is not the pinned upstream 5.9.8 (sha256 $orig_sha256)" >&2
      exit 1
    }
    # unpack and apply Debian's patch series (dpkg-source applies quilt patches)
    dpkg-source -x "$dsc" "strongswan-$version"
  )
  rm -rf "$srcdir" && mv "$srcdir.tmp" "$srcdir"
fi

cd "$srcdir/strongswan-$version"
if [ ! -f Makefile ] || [ ! -f .tunneld-conf ] || [ "$(cat .tunneld-conf)" != "$stamp_text" ]; then
  [ -f Makefile ] && make distclean >/dev/null 2>&1 || true
  ./configure "${conf[@]}" > "$work/configure.log" 2>&1 || {
    echo "build-strongswan: configure failed, see $work/configure.log" >&2
    tail -20 "$work/configure.log" >&2
    exit 1
  }
  echo "$stamp_text" > .tunneld-conf
fi
make -j"$(nproc)" > "$work/make.log" 2>&1 || {
  echo "build-strongswan: make failed, see $work/make.log" >&2
  tail -30 "$work/make.log" >&2
  exit 1
}
if [ "$mode" = --system ]; then
  rm -rf "$work/stage"
  make install DESTDIR="$work/stage" > "$work/install.log" 2>&1
  echo "$stamp_text" > "$work/stage/.stamp"
  echo "build-strongswan: installed strongSwan $version into $work/stage (for /usr/lib/tunneld)"
  exit 0
fi
make install > "$work/install.log" 2>&1
# the configured tree's config.h sits beside the installed headers
cp config.h "$prefix/include/strongswan/config.h"
echo "$stamp_text" > "$prefix/.stamp"
echo "build-strongswan: installed strongSwan $version into $prefix"
