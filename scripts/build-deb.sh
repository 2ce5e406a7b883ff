#!/usr/bin/env bash
# Builds tunneld's Debian package (binary only, unsigned) and runs lintian.
#
#   scripts/build-deb.sh [OUTDIR]          (default: build/deb)
#
# The checkout's files (tracked and untracked, not ignored) are copied to
# OUTDIR/src/tunneld-VERSION and built there, never in the checkout
# (dpkg-buildpackage writes ../*.deb). The private strongSwan is built once
# into OUTDIR/strongswan (or TUNNELD_SS_CACHE) and reused by later builds; its Debian source package
# is taken from TUNNELD_STRONGSWAN_SOURCES, else from build/strongswan/src
# when the development build fetched it, else fetched with apt-get source.
# Result: OUTDIR/tunneld_VERSION_ARCH.deb, OUTDIR/lintian.txt, OUTDIR/build.log.
# Needs: debhelper, fakeroot, lintian, dpkg-dev (scripts/install-deps.sh).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
case $out in
  *[[:space:]]*) echo "build-deb: '$out' has white space (debian/rules cannot take it)" >&2; exit 2 ;;
esac
outp=${out%/}/
case $repo/ in
  "$outp"*) echo "build-deb: OUTDIR $out is the checkout or holds it: choose another (default build/deb)" >&2; exit 2 ;;
esac
# it deletes its earlier results in OUTDIR: only in a directory it made
if [ ! -e "$out/.tunneld-build-deb" ] && [ ! -e "$out/strongswan/stage/.stamp" ] \
   && [ -n "$(ls -A "$out")" ]; then
  echo "build-deb: $out is not empty and no earlier build-deb.sh output: choose a new directory" >&2
  exit 2
fi
touch "$out/.tunneld-build-deb"
exec 9> "$out/.lock"
flock -n 9 || { echo "build-deb: another build-deb.sh is using $out" >&2; exit 1; }
version=$(dpkg-parsechangelog -l "$repo/debian/changelog" -S Version)
cmake_version=$(sed -n 's/^project(tunneld VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
if [ "${version%%[-+~]*}" != "$cmake_version" ]; then
  echo "build-deb: debian/changelog says $version, CMakeLists.txt's project() $cmake_version" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)
src=$out/src/tunneld-$version
deb=$out/tunneld_${version}_${arch}.deb

for tool in dpkg-buildpackage dh fakeroot lintian; do
  command -v "$tool" >/dev/null || {
    echo "build-deb: $tool is missing (run scripts/install-deps.sh)" >&2
    exit 1
  }
done

if [ -z "${TUNNELD_STRONGSWAN_SOURCES:-}" ] \
   && ls "$repo"/build/strongswan/src/strongswan_*.dsc >/dev/null 2>&1; then
  export TUNNELD_STRONGSWAN_SOURCES=$repo/build/strongswan/src
fi

start=$(date +%s)
rm -rf "$out/src/tunneld-$version" "$out"/tunneld_"$version"_* "$out"/tunneld-dbgsym_"$version"_*
mkdir -p "$src"
# the files to build: git's list (deleted ones left out, OUTDIR too when it
# lies in the checkout); outside a git checkout everything but build*/
rel=""
case $out/ in "$repo"/*) rel=${out#"$repo"/} ;; esac
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$repo" && git ls-files -co --exclude-standard -z \
    | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
    | { if [ -n "$rel" ]; then grep -zv -- "^$rel/"; else cat; fi; } \
    | tar --null -T - -cf -) | tar -xf - -C "$src"
else
  excl=(--exclude='./build*')
  [ -n "$rel" ] && excl+=(--exclude="./$rel")
  (cd "$repo" && tar "${excl[@]}" -cf - .) | tar -xf - -C "$src"
fi

echo "build-deb: building in $src (log: $out/build.log)"
if ! (cd "$src" && TUNNELD_SS_CACHE="${TUNNELD_SS_CACHE:-$out/strongswan}" \
      DEB_BUILD_OPTIONS="parallel=${JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
      dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1; then
  tail -40 "$out/build.log" >&2
  echo "build-deb: dpkg-buildpackage failed, see $out/build.log" >&2
  exit 1
fi
# dpkg-buildpackage writes next to the source directory
mv "$out"/src/tunneld_* "$out"/src/tunneld-dbgsym_* "$out"/ 2>/dev/null || true
[ -f "$deb" ] || { echo "build-deb: $deb was not made" >&2; exit 1; }
secs=$(( $(date +%s) - start ))

changes=$out/tunneld_${version}_${arch}.changes
lint_rc=0
lintian --info --display-info --fail-on error "$changes" > "$out/lintian.txt" 2>&1 || lint_rc=$?

echo "build-deb: $deb ($(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB, built in ${secs} s)"
echo "build-deb: Depends: $(dpkg-deb -f "$deb" Depends)"
echo "build-deb: lintian (rc $lint_rc, $out/lintian.txt):"
grep -E '^[EWI]: ' "$out/lintian.txt" | sed 's/^/  /' || echo "  (no tags)"
exit "$lint_rc"
