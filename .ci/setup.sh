#!/usr/bin/env bash
# Set up mmscore on Debian 12 and run it.
#   bash .ci/setup.sh demo   install missing packages, build, validate structures/
#   bash .ci/setup.sh test   the same, then the whole CTest suite
# Optional: second argument = build directory (default: build/);
# MMSCORE_CMAKE_FLAGS = extra cmake flags (CI passes -DMMSCORE_WERROR=ON).
set -euo pipefail

mode=${1:-demo}
case $mode in demo|test) ;; *) echo "usage: bash .ci/setup.sh demo|test [build-dir]" >&2; exit 2;; esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${2:-$root/build}

# Debian packages mmscore builds against; only the missing ones are installed.
packages=(libsymspg-dev libgsl-dev libcjson-dev libopenbabel-dev openbabel libqhull-dev
          libcmocka-dev wordnet-base libstemmer-dev libicu-dev zlib1g-dev libxxhash-dev parallel
          cmake pkg-config build-essential clang chromium
          texlive-latex-base texlive-latex-recommended)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
echo "== configuring and building in $build"
# shellcheck disable=SC2086  # flags are meant to split
cmake -S "$root" -B "$build" ${MMSCORE_CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j "$jobs"

case $mode in
  demo)
    echo "== mmscore validate structures/"
    "$build/mmscore" validate "$root/structures/"
    ;;
  test)
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
    ;;
esac
