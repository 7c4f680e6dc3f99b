#!/usr/bin/env bash
# Creates (once) a virtual environment with the PyPI peers coact is measured or checked
# against, and prints its python. Used by benchmarks and by tests under the `peers` label; the
# default test command never needs it.
#
#   tools/peers-venv.sh lapjv networkit      -> prints .venv-peers/bin/python
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${COACT_PEERS_VENV:-.venv-peers}"
if [ ! -x "$venv/bin/python" ]; then
  # System site packages: numpy, scipy, h5py, networkx come from Debian (torch too where
  # install-deps.sh --bench put python3-torch; otherwise "torch" installs it from PyPI).
  /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
fi
if [ "$#" -gt 0 ]; then
  missing=()
  for package in "$@"; do
    module="${package%%[=<>]*}"
    module="${module//-/_}"
    if ! "$venv/bin/python" -c "import ${module}" >/dev/null 2>&1; then missing+=("$package"); fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}" >&2
  fi
fi
case "$venv" in
  /*) echo "$venv/bin/python" ;;  # COACT_PEERS_VENV given as an absolute path
  *) echo "$(pwd)/$venv/bin/python" ;;
esac
