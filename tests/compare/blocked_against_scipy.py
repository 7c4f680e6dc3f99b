"""coact's blocked (distributed) matching against scipy.optimize.linear_sum_assignment.

Writes decoder-like cases (random, planted, rectangular, tied rows, tiny), runs
blocked_check_driver on 1 and on 3 ranks with small tiles and few candidates, and checks on
the float64 cost 1 - cos that NumPy computes from the same float32 rows: every row gets a
distinct column, coact's total cost equals scipy's optimum (to float32 rounding of the
cosines, 1e-6 per row), the planted permutation is found, the certificate held, pricing
rounds happened where the candidates were too few, and 1 and 3 ranks agree.

    blocked_against_scipy.py DRIVER MPIEXEC WORKDIR
"""
import os
import subprocess
import sys

import h5py
import numpy as np
from scipy.optimize import linear_sum_assignment

DRIVER, MPIEXEC, WORKDIR = sys.argv[1:4]
rng = np.random.default_rng(20240917)
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)
        print("FAIL:", message)


def unit_rows(m):
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def planted(n1, n2, d, shared):
    """Rows of A planted in B at a random permutation with cosine in [0.7, 0.95)."""
    a = unit_rows(rng.standard_normal((n1, d)))
    b = unit_rows(rng.standard_normal((n2, d)))
    perm = rng.permutation(n2)[:n1]
    k = int(shared * n1)
    noise = rng.standard_normal((k, d))
    noise -= (noise * a[:k]).sum(1, keepdims=True) * a[:k]
    noise = unit_rows(noise)
    c = rng.uniform(0.7, 0.95, (k, 1))
    b[perm[:k]] = c * a[:k] + np.sqrt(1 - c * c) * noise
    return a, b, perm[:k]


def cases():
    """name -> (a, b, options, planted partners of the first rows or None)."""
    out = {}
    small = dict(row_candidates=3, column_candidates=2, block_rows=37, block_columns=53)
    few = dict(row_candidates=1, column_candidates=1, block_rows=64, block_columns=100)
    out["random_500"] = (rng.standard_normal((500, 64)), rng.standard_normal((500, 64)), small, None)
    a, b, partners = planted(1000, 1000, 128, 0.55)
    out["planted_1000"] = (a, b, small, partners)
    out["random_few_candidates_2000"] = (rng.standard_normal((2000, 32)), rng.standard_normal((2000, 32)), few, None)
    out["rect_300x700"] = (rng.standard_normal((300, 40)), rng.standard_normal((700, 40)), small, None)
    a, b, partners = planted(200, 800, 64, 1.0)
    out["rect_planted_200x800"] = (a, b, few, partners)
    pool = rng.standard_normal((4, 16))
    out["tied_rows_200"] = (pool[rng.integers(0, 4, 200)], pool[rng.integers(0, 4, 200)], small, None)
    for n in (1, 2, 3):
        out[f"tiny_{n}"] = (rng.standard_normal((n, 5)), rng.standard_normal((n + 1, 5)), small, None)
    return out


def run_driver(ranks, cases_path, out_path):
    command = [MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-n", str(ranks), DRIVER, cases_path, out_path]
    r = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{r.stdout}\n{r.stderr}")


def main():
    os.makedirs(WORKDIR, exist_ok=True)
    cases_path = os.path.join(WORKDIR, "blocked_cases.h5")
    all_cases = cases()
    with h5py.File(cases_path, "w") as f:
        for name, (a, b, options, _) in all_cases.items():
            d = f.create_dataset(f"a/{name}", data=np.asarray(a, np.float32))
            f.create_dataset(f"b/{name}", data=np.asarray(b, np.float32))
            for key, value in options.items():
                d.attrs[key] = np.int64(value)
    answers = {}
    for ranks in (1, 3):
        out_path = os.path.join(WORKDIR, f"blocked_answers_{ranks}.h5")
        run_driver(ranks, cases_path, out_path)
        with h5py.File(out_path) as f:
            answers[ranks] = {name: (f[f"matching/{name}"][...], dict(f[f"matching/{name}"].attrs)) for name in all_cases}

    for name, (a, b, options, partners) in all_cases.items():
        a32, b32 = np.asarray(a, np.float32).astype(np.float64), np.asarray(b, np.float32).astype(np.float64)
        cost = 1.0 - unit_rows(a32) @ unit_rows(b32).T
        rows, cols = linear_sum_assignment(cost)
        best = cost[rows, cols].sum()
        n1 = cost.shape[0]
        for ranks, found in answers.items():
            matching, attrs = found[name]
            tag = f"{name} ({ranks} ranks)"
            check(matching.shape == (n1,) and len(set(matching.tolist())) == n1 and matching.min() >= 0
                  and matching.max() < cost.shape[1], f"{tag}: not an injective matching")
            total = cost[np.arange(n1), matching].sum()
            check(abs(total - best) <= 1e-6 * n1, f"{tag}: cost {total:.9f}, scipy's optimum {best:.9f}")
            check(abs(attrs["cost"] - best) <= 1e-6 * n1, f"{tag}: reported cost {attrs['cost']:.9f} vs {best:.9f}")
            check(attrs["certified"] == 1, f"{tag}: not certified")
            if partners is not None:
                check(np.array_equal(matching[:len(partners)], partners), f"{tag}: planted permutation not found")
            if name.startswith("random_few"):
                check(attrs["pricing_rounds"] >= 1, f"{tag}: one candidate per row needed no pricing?")
        if not name.startswith("tied"):  # exact ties may be broken differently; the cost is checked above
            check(np.array_equal(answers[1][name][0], answers[3][name][0]), f"{name}: 1 and 3 ranks differ")
    print(f"{len(all_cases)} cases, 1 and 3 ranks: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
