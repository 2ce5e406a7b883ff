#!/usr/bin/env bash
# package_build: builds the Debian package with scripts/build-deb.sh and checks
# what it holds: the private strongSwan found only through RUNPATH
# /usr/lib/tunneld, no build path anywhere, Depends computed by dh_shlibdeps,
# swanctl.conf 0600 root, the conffiles, the group made before the unit
# starts, the unit and the man pages; lintian reports no error.
#
#   package_build.sh REPO OUTDIR
set -uo pipefail
repo=${1:?usage: package_build.sh REPO OUTDIR}
out=${2:?usage: package_build.sh REPO OUTDIR}
fails=0
check() { # check NAME CMD...: one line per check, a failure counted
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

start=$(date +%s)
bash "$repo/scripts/build-deb.sh" "$out"
rc=$?
echo "package_build: build-deb.sh rc $rc in $(( $(date +%s) - start )) s"
check "build-deb.sh succeeded (lintian: no error)" test "$rc" = 0
deb=$(ls "$out"/tunneld_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n1)
check "the .deb exists ($deb)" test -n "$deb" -a -f "$deb"
[ -n "$deb" ] && [ -f "$deb" ] || { echo "package_build: no .deb, $fails failures"; exit 1; }

check "lintian.txt has no E: tag" bash -c "! grep -q '^E: ' '$out/lintian.txt'"

tree=$(mktemp -d "${TMPDIR:-/tmp}/package_build.XXXXXX")
trap 'rm -rf "$tree"' EXIT
dpkg-deb -R "$deb" "$tree"

runpath() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p'; }
need_runpath() { # FILE: its RUNPATH is exactly /usr/lib/tunneld
  local got
  got=$(runpath "$tree/$1")
  [ "$got" = /usr/lib/tunneld ] || { echo "  $1: RUNPATH '$got', expected /usr/lib/tunneld"; return 1; }
}
for f in usr/sbin/tunneld usr/lib/tunneld/libcharon.so.0 usr/lib/tunneld/libvici.so.0 \
         usr/lib/tunneld/libipsec.so.0; do
  check "RUNPATH of /$f is /usr/lib/tunneld" need_runpath "$f"
done
no_other_runpath() { # every ELF: no RPATH, and RUNPATH absent or /usr/lib/tunneld
  local f bad=0 got
  while IFS= read -r -d '' f; do
    head -c4 "$f" | grep -q $'\x7fELF' || continue
    got=$(runpath "$f")
    if [ -n "$got" ] && [ "$got" != /usr/lib/tunneld ]; then echo "  ${f#"$tree"}: RUNPATH $got"; bad=1; fi
    if readelf -d "$f" | grep -q '(RPATH)'; then echo "  ${f#"$tree"}: RPATH"; bad=1; fi
  done < <(find "$tree/usr" -type f -print0)
  return "$bad"
}
check "no ELF has another RUNPATH or an RPATH" no_other_runpath
no_build_path() { # the checkout's and the build's paths appear in no file
  local p hit=0
  for p in "$repo" "$out"; do
    if grep -rlF -- "$p" "$tree" >/dev/null; then grep -rlF -- "$p" "$tree" | sed 's/^/  /'; hit=1; fi
  done
  return "$hit"
}
check "no build path ($repo, $out) in the package" no_build_path
check "tunneld looks for plugins in /usr/lib/tunneld/plugins" \
  grep -qF /usr/lib/tunneld/plugins "$tree/usr/sbin/tunneld"
check "charon's plugins are in /usr/lib/tunneld/plugins" \
  test -f "$tree/usr/lib/tunneld/plugins/libstrongswan-kernel-netlink.so"
check "no development files (.so links, .la, headers)" \
  bash -c "! find '$tree' -name '*.la' -o -name '*.h' -o -name 'lib*.so' -path '*/usr/lib/tunneld/lib*' | grep -q ."

depends=$(dpkg-deb -f "$deb" Depends)
echo "  Depends: $depends"
for p in libc6 libssl3 libcurl4 libnftables1 libnl-3-200 libnl-route-3-200 libjson-c5 libev4 adduser; do
  check "Depends names $p" grep -qE "(^|, )$p( |,|$)" <<< "$depends"
done
needed_in_depends() { # every NEEDED library outside the package: its Debian package is in Depends
  local f lib path pkg bad=0 seen=" "
  while IFS= read -r -d '' f; do
    head -c4 "$f" | grep -q $'\x7fELF' || continue
    for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [ -e "$tree/usr/lib/tunneld/$lib" ] && continue
      case $seen in *" $lib "*) continue ;; esac
      seen="$seen$lib "
      path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
      pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n1 | cut -d: -f1)
      [ -z "$pkg" ] && pkg=$(dpkg -S "$path" 2>/dev/null | head -n1 | cut -d: -f1)
      if [ -z "$pkg" ]; then echo "  $lib (${f#"$tree"}): no package owns it"; bad=1; continue; fi
      grep -qE "(^|, )$pkg( |,|$)" <<< "$depends" || { echo "  $lib (${f#"$tree"}) is in $pkg, not in Depends"; bad=1; }
    done
  done < <(find "$tree/usr" -type f -print0)
  return "$bad"
}
check "every NEEDED system library's package is in Depends" needed_in_depends
check "Depends has no tunneld self-dependency" bash -c "! grep -q 'tunneld' <<< '$depends'"
# the embedded strongSwan's source package, by exact version (Built-Using)
ssv=$(sed -n 's/^Version: //p' "$out"/strongswan/src/strongswan_*.dsc 2> /dev/null | head -n1)
built_using=$(dpkg-deb -f "$deb" Built-Using)
echo "  Built-Using: $built_using"
check "Built-Using is strongswan (= $ssv), the .dsc the private strongSwan was built from" \
  test -n "$ssv" -a "$built_using" = "strongswan (= $ssv)" -a "${ssv#5.9.8-}" != "$ssv"

listing=$(dpkg-deb -c "$deb")
check "swanctl.conf is -rw------- root/root" \
  grep -qE '^-rw------- root/root .* \./etc/tunneld/swanctl\.conf$' <<< "$listing"
for f in /etc/tunneld/tunneld.conf /etc/tunneld/swanctl.conf; do
  check "$f is a conffile" grep -qx "$f" "$tree/DEBIAN/conffiles"
done
check "the unit is /lib/systemd/system/tunneld.service" test -f "$tree/lib/systemd/system/tunneld.service"
group_before_unit() { # addgroup runs before debhelper's enable/start snippet
  local g s
  g=$(grep -n 'addgroup --system' "$tree/DEBIAN/postinst" | head -n1 | cut -d: -f1)
  s=$(grep -n "deb-systemd-invoke" "$tree/DEBIAN/postinst" | head -n1 | cut -d: -f1)
  [ -n "$g" ] && [ -n "$s" ] && [ "$g" -lt "$s" ]
}
check "postinst makes group tunneld before starting the unit" group_before_unit
check "postinst passes sh -n" sh -n "$tree/DEBIAN/postinst"
check "no ldconfig trigger (private libraries)" bash -c "! grep -qs ldconfig '$tree/DEBIAN/triggers'"
for m in man8/tunneld.8 man8/tunnelctl.8 man5/tunneld.conf.5; do
  check "man page $m" test -f "$tree/usr/share/man/$m.gz"
done

if [ "$fails" -ne 0 ]; then
  echo "package_build: $fails checks failed (lintian: $out/lintian.txt, log: $out/build.log)"
  exit 1
fi
echo "package_build: all checks passed ($deb, $(stat -c %s "$deb") bytes)"
