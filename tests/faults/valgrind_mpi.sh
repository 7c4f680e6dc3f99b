#!/usr/bin/env bash
# valgrind memcheck of an MPI test executable on 2 ranks: any invalid access, use of an
# uninitialised value, or definite leak in coact's code fails (exit 9). Open MPI's own
# suppressions plus cmake/sanitizers/valgrind.supp hide what the MPI runtime does by design.
#
#   tests/faults/valgrind_mpi.sh MPIEXEC EXECUTABLE [gtest args...]
set -euo pipefail
mpiexec="$1" exe="$2"
shift 2
source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
exec "$mpiexec" -n 2 --oversubscribe valgrind -q --num-callers=40 --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --suppressions=/usr/share/openmpi/openmpi-valgrind.supp --suppressions="$source_dir/cmake/sanitizers/valgrind.supp" \
  "$exe" --gtest_brief=1 "$@"
