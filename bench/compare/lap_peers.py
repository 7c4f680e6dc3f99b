"""Times scipy.optimize.linear_sum_assignment and lapjv on the cost matrix bench_compare_lap
wrote (same bytes: /cost, float32), checks each optimum against coact's (attribute
coact_cost, column_of_row in /coact), and prints the ratios.

    python lap_peers.py cost.h5 [--skip-scipy] [--skip-lapjv]

scipy runs on the float64 copy of the matrix (the conversion is not timed; scipy would make
the same copy itself). lapjv runs on the float64 copy too, so all three solve the same
problem exactly; its float32 mode is timed as well when --lapjv-float32 is given.
"""
import argparse
import time

import h5py
import numpy as np


def total(cost, rows, cols):
    return float(cost[rows, cols].astype(np.float64).sum())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--skip-scipy", action="store_true")
    parser.add_argument("--skip-lapjv", action="store_true")
    parser.add_argument("--lapjv-float32", action="store_true")
    args = parser.parse_args()

    with h5py.File(args.file, "r") as f:
        cost = f["cost"][...]
        coact_cost = float(f.attrs["coact_cost"])
        coact_seconds = float(f.attrs["coact_seconds"])
        coact_median = float(f.attrs.get("coact_seconds_median", coact_seconds))
        coact_runs = int(f.attrs.get("coact_runs", 1))
        coact_columns = f["coact/column_of_row"][...]
        gemm_seconds = float(f.attrs["gemm_seconds"])
    n = cost.shape[0]
    assert abs(total(cost, np.arange(n), coact_columns) - coact_cost) <= 1e-9 * abs(coact_cost)
    print(f"n {n}: coact {coact_seconds:.3f} s (best of {coact_runs}; median {coact_median:.3f} s), "
          f"cost {coact_cost:.10f} (cost GEMM {gemm_seconds:.3f} s)")
    cost64 = cost.astype(np.float64)
    wrong = 0
    rows = np.arange(n)

    if not args.skip_scipy:
        from scipy.optimize import linear_sum_assignment
        import scipy

        start = time.perf_counter()
        r, c = linear_sum_assignment(cost64)
        seconds = time.perf_counter() - start
        value = total(cost, r, c)
        same = abs(value - coact_cost) <= 1e-9 * abs(coact_cost)
        wrong += not same
        print(f"scipy {scipy.__version__} linear_sum_assignment: {seconds:.3f} s, cost {value:.10f} "
              f"({'identical optimum' if same else 'DIFFERENT COST'}), coact is {seconds / coact_seconds:.1f}x faster")

    if not args.skip_lapjv:
        from lapjv import lapjv

        variants = [("float64", cost64)] + ([("float32", cost)] if args.lapjv_float32 else [])
        for name, matrix in variants:
            start = time.perf_counter()
            row_to_col, _, _ = lapjv(matrix)
            seconds = time.perf_counter() - start
            value = total(cost, rows, row_to_col)
            same = abs(value - coact_cost) <= 1e-9 * abs(coact_cost)
            # float32 arithmetic may end a hair above the optimum: report it, do not fail on it.
            wrong += (not same) and name == "float64"
            print(f"lapjv ({name}): {seconds:.3f} s, cost {value:.10f} "
                  f"({'identical optimum' if same else f'differs by {value - coact_cost:.3e}'}), "
                  f"coact is {seconds / coact_seconds:.1f}x faster")
    print(f"{wrong} wrong optima")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
