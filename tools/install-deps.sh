#!/usr/bin/env bash
# Installs the Debian 12 packages coact needs to build and test, only those missing.
# This file is the single list of system packages: CI, the README and the Dockerfiles call it.
#
#   tools/install-deps.sh            build + test packages
#   tools/install-deps.sh --bench    also the peers the benchmarks compare against
#   tools/install-deps.sh --print    print the list and exit
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libboost-program-options-dev zlib1g-dev
  libopenblas-openmp-dev
  libgtest-dev
  clang libclang-rt-14-dev
)
# Python side of the tests: independent references (NumPy, SciPy, networkx) and the reader
# every user has (h5py); matplotlib draws the report plots.
test_pkgs=(
  python3 python3-numpy python3-h5py python3-scipy python3-networkx python3-matplotlib
)
# The browser that the `browser`-labelled tests (part of the default suite) drive headless to
# load the HTML report from disk: Debian's Chromium, through its DevTools pipe.
browser_pkgs=(
  chromium
)
# Peers the benchmarks measure against in the same run.
bench_pkgs=(
  python3-torch python3-igraph python3-venv time
)

want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${browser_pkgs[@]}")
for arg in "$@"; do
  case "$arg" in
    --bench) want+=("${bench_pkgs[@]}") ;;
    --print) printf '%s\n' "${want[@]}"; exit 0 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
