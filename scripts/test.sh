#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root:
#   installs packages, builds (pinned strongSwan once, then tunneld), runs every
#   CTest test, then again in an ASan+UBSan build, and checks the C style.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
jobs=${JOBS:-2}

bash scripts/install-deps.sh

echo "== build (RelWithDebInfo, warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"

echo "== style (.clang-format)"
bad=$(git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror 2>&1 | grep -c "error:" || true)
if [ "$bad" != 0 ]; then
  git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror 2>&1 | grep "error:" | head >&2
  echo "style: $bad places differ from .clang-format (run clang-format -i)" >&2
  exit 1
fi

echo "== tests"
(cd build && ctest -j"$jobs" --output-on-failure)

echo "== tests under ASan+UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTUNNELD_SANITIZE=ON \
  -DTUNNELD_STRONGSWAN_DIR="$repo/build/strongswan"
cmake --build build-asan -j"$jobs"
# sanitized binaries run several times slower: deadlines in the netns tests stretch
(cd build-asan && TEST_TIME_SCALE=3 ctest -j"$jobs" --output-on-failure)
