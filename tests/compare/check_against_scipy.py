"""coact's compare statistics against SciPy on random cases.

Writes cases.h5 (cost matrices of several sizes and distributions, value sets for the
Jensen-Shannon distance and the rank correlation), runs compare_check_driver on it, and
checks its answers: the optimal assignment cost equals scipy.optimize.linear_sum_assignment's
(1e-9 relative) for every exact method, with a valid certificate; greedy equals the
sort-all-pairs definition; densities equal numpy's; JS distance equals
scipy.spatial.distance.jensenshannon and Spearman/Pearson equal scipy.stats (1e-12).

    check_against_scipy.py DRIVER WORKDIR
"""
import os
import subprocess
import sys

import h5py
import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import jensenshannon
from scipy.stats import pearsonr, rankdata, spearmanr

rng = np.random.default_rng(20240606)
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)
        print("FAIL:", message)


def unit_rows(m):
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def cosine_cost(n, d, shared):
    """1 - cos between two decoders: `shared` of W2's rows are noisy permuted W1 rows."""
    w1 = unit_rows(rng.standard_normal((n, d)))
    w2 = unit_rows(rng.standard_normal((n, d)))
    k = int(shared * n)
    perm = rng.permutation(n)
    w2[perm[:k]] = unit_rows(w1[:k] + rng.uniform(0.3, 0.9, (k, 1)) * unit_rows(rng.standard_normal((k, d))))
    return (1.0 - w1 @ w2.T).astype(np.float32)


def lap_cases():
    cases = {}
    for n in (1, 2, 3, 5, 17, 100, 257, 600):
        cases[f"uniform_{n}"] = rng.random((n, n))
    for n in (50, 300):
        cases[f"int_ties_{n}"] = rng.integers(0, 10, (n, n))
    cases["int_ties_wide_300"] = rng.integers(0, 1000, (300, 300))
    cases["int_ties_0_to_n_128"] = rng.integers(0, 128, (128, 128))
    cases["binary_200"] = rng.integers(0, 2, (200, 200))
    # Every row prefers the same few columns: long augmenting paths, many ties.
    cases["same_preferences_150"] = np.tile(rng.integers(0, 20, 150), (150, 1)) + rng.integers(0, 2, (150, 150))
    cases["constant_64"] = np.full((64, 64), 3.0)
    for r, c in ((40, 70), (100, 101), (7, 300), (1, 5), (250, 400)):
        cases[f"rect_{r}x{c}"] = rng.random((r, c))
    cases["rect_int_ties_60x90"] = rng.integers(0, 5, (60, 90))
    for n in (300, 800, 2000):
        cases[f"cosine_{n}"] = cosine_cost(n, 64, 0.5)
    cases["normal_large_scale_150"] = rng.normal(0, 1000, (150, 150))
    # Machol-Wien c_ij = i*j: a classic hard instance for shortest augmenting paths.
    cases["machol_wien_120"] = np.outer(np.arange(1, 121), np.arange(1, 121))
    # Mostly huge costs with a few cheap entries: the restricted problem must widen.
    sparse = np.full((200, 200), 1e6)
    cheap = rng.integers(0, 200, (200, 3))
    for i in range(200):
        sparse[i, cheap[i]] = rng.random(3)
    cases["mostly_huge_200"] = sparse
    return {name: np.asarray(c, dtype=np.float32) for name, c in cases.items()}


def greedy_reference(cost):
    rows, cols = np.unravel_index(np.lexsort((np.tile(np.arange(cost.shape[1]), cost.shape[0]),
                                               np.repeat(np.arange(cost.shape[0]), cost.shape[1]),
                                               cost.ravel())), cost.shape)
    row_done = np.zeros(cost.shape[0], bool)
    col_done = np.zeros(cost.shape[1], bool)
    result = np.full(cost.shape[0], -1)
    for r, c in zip(rows, cols):
        if not row_done[r] and not col_done[c]:
            row_done[r] = col_done[c] = True
            result[r] = c
    return result


def activation_case(rows, n1, n2, batch):
    """Sparse non-negative codes of two SAEs on the same tokens: the second's first features
    follow the first's (correlated), plus a dead feature and a constant one on each side."""
    a = np.where(rng.random((rows, n1)) < 0.2, rng.exponential(1.0, (rows, n1)), 0.0)
    b = np.where(rng.random((rows, n2)) < 0.2, rng.exponential(1.0, (rows, n2)), 0.0)
    shared = min(n1, n2) // 2
    b[:, :shared] = np.where(rng.random((rows, shared)) < 0.8, a[:, :shared] * 1.5, b[:, :shared])
    a[:, -1] = 0.0
    b[:, -2] = 0.75
    return a.astype(np.float32), b.astype(np.float32), batch


def main():
    driver, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    cases_path = os.path.join(workdir, "compare_cases.h5")
    results_path = os.path.join(workdir, "compare_results.h5")
    laps = lap_cases()
    degree_sets = {
        "poisson": (rng.poisson(6, 3000), rng.poisson(7.5, 2500)),
        "geometric_vs_uniform": (rng.geometric(0.1, 5000) - 1, rng.integers(0, 40, 5000)),
        "gaps_and_zeros": (np.array([0, 0, 5, 5, 5, 9]), np.array([1, 1, 2, 12])),
        "identical": (np.arange(100) % 13, np.arange(100) % 13),
        "single_value": (np.full(10, 4), np.full(7, 4)),
    }
    strength_sets = {
        "lognormal": (rng.lognormal(0, 1, 4000), rng.lognormal(0.2, 0.8, 3000)),
        "uniform_vs_beta": (rng.random(2000), rng.beta(2, 5, 2500)),
    }
    corr_sets = {
        "continuous": (rng.standard_normal(500),),
        "integer_ties": (rng.integers(0, 8, 700).astype(float),),
        "heavy_ties": (rng.integers(0, 3, 50).astype(float),),
    }
    act_sets = {name: activation_case(*shape) for name, shape in
                (("small", (300, 7, 9, 64)), ("tall", (5000, 40, 33, 1024)), ("one_batch", (200, 12, 12, 200)))}
    with h5py.File(cases_path, "w") as f:
        for name, (a, b, batch) in act_sets.items():
            f[f"act_a/{name}"] = a
            f[f"act_b/{name}"] = b
            f[f"act_a/{name}"].attrs["batch_rows"] = batch
        for name, cost in laps.items():
            f[f"lap/{name}"] = cost
        for name, (a, b) in degree_sets.items():
            f[f"js_int_a/{name}"] = a.astype(np.int64)
            f[f"js_int_b/{name}"] = b.astype(np.int64)
        for name, (a, b) in strength_sets.items():
            f[f"js_real_a/{name}"] = a
            f[f"js_real_b/{name}"] = b
            f[f"js_real_edges/{name}"] = np.histogram_bin_edges(np.concatenate([a, b]), bins=50)
        for name, (x,) in corr_sets.items():
            y = x + rng.standard_normal(x.size) * (2 if "heavy" in name else 0.7)
            if "ties" in name:
                y = np.round(y)
            f[f"corr_x/{name}"] = x
            f[f"corr_y/{name}"] = y

    subprocess.run([driver, cases_path, results_path], check=True)

    with h5py.File(cases_path, "r") as f, h5py.File(results_path, "r") as out:
        for name in f["lap"]:
            cost = f[f"lap/{name}"][...]
            cost64 = cost.astype(np.float64)
            r, c = linear_sum_assignment(cost64)
            best = cost64[r, c].sum()
            scale = max(1.0, abs(best))
            for method in ("lap", "lap_dense", "lap_sparse"):
                columns = out[f"{method}/{name}"][...]
                check(len(np.unique(columns)) == cost.shape[0] and columns.min() >= 0 and columns.max() < cost.shape[1],
                      f"{method}/{name}: not an assignment")
                value = cost64[np.arange(cost.shape[0]), columns].sum()
                check(abs(value - best) <= 1e-9 * scale, f"{method}/{name}: cost {value!r} != scipy {best!r}")
                check(abs(out[f"{method}/{name}"].attrs["cost"] - value) <= 1e-9 * scale, f"{method}/{name}: reported cost")
                check(int(out[f"{method}/{name}"].attrs["certified"]) == 1, f"{method}/{name}: no optimality certificate")
            greedy = out[f"greedy/{name}"][...]
            check(cost64[np.arange(cost.shape[0]), greedy].sum() >= best - 1e-9 * scale, f"greedy/{name}: below optimum?")
            if cost.size <= 1_000_000:
                check(np.array_equal(greedy, greedy_reference(cost)), f"greedy/{name}: differs from sort-all-pairs")
            print(f"lap {name} {cost.shape}: optimum {best:.10g} matched by every method")

        for name in f["js_int_a"]:
            a, b = f[f"js_int_a/{name}"][...], f[f"js_int_b/{name}"][...]
            bins = max(a.max(), b.max()) + 1
            p = np.bincount(a, minlength=bins) / a.size
            q = np.bincount(b, minlength=bins) / b.size
            check(np.allclose(out[f"js_int_p/{name}"][...], p, rtol=0, atol=1e-15), f"js_int/{name}: p")
            check(np.allclose(out[f"js_int_q/{name}"][...], q, rtol=0, atol=1e-15), f"js_int/{name}: q")
            want = jensenshannon(p, q)
            got = out[f"js_int/{name}"][0]
            check(abs(got - want) <= 1e-12, f"js_int/{name}: {got!r} != scipy {want!r}")
            print(f"js {name}: {got:.15f} (scipy {want:.15f})")

        for name in f["js_real_a"]:
            a, b = f[f"js_real_a/{name}"][...], f[f"js_real_b/{name}"][...]
            edges = f[f"js_real_edges/{name}"][...]
            p = np.histogram(a, edges)[0] / a.size
            q = np.histogram(b, edges)[0] / b.size
            check(np.allclose(out[f"js_real_p/{name}"][...], p, rtol=0, atol=1e-15), f"js_real/{name}: p")
            check(np.allclose(out[f"js_real_q/{name}"][...], q, rtol=0, atol=1e-15), f"js_real/{name}: q")
            check(np.allclose(out[f"shared_edges/{name}"][...], edges, rtol=1e-15, atol=0), f"js_real/{name}: edges")
            want = jensenshannon(p, q)
            got = out[f"js_real/{name}"][0]
            check(abs(got - want) <= 1e-12, f"js_real/{name}: {got!r} != scipy {want!r}")
            print(f"js strength {name}: {got:.15f} (scipy {want:.15f})")

        for name in f["corr_x"]:
            x, y = f[f"corr_x/{name}"][...], f[f"corr_y/{name}"][...]
            check(np.array_equal(out[f"ranks_x/{name}"][...], rankdata(x)), f"ranks/{name}")
            rho = spearmanr(x, y).correlation
            r = pearsonr(x, y)[0]
            check(abs(out[f"spearman/{name}"][0] - rho) <= 1e-12, f"spearman/{name}: {out[f'spearman/{name}'][0]!r} != {rho!r}")
            check(abs(out[f"pearson/{name}"][0] - r) <= 1e-12, f"pearson/{name}: {out[f'pearson/{name}'][0]!r} != {r!r}")
            print(f"spearman {name}: {out[f'spearman/{name}'][0]:.15f} (scipy {rho:.15f}); pearson {r:.15f}")

        for name in f["act_a"]:
            a = f[f"act_a/{name}"][...].astype(np.float64)
            b = f[f"act_b/{name}"][...].astype(np.float64)
            n1 = a.shape[1]
            with np.errstate(invalid="ignore", divide="ignore"):
                want = np.corrcoef(a, b, rowvar=False)[:n1, n1:]
            want = np.nan_to_num(want, nan=0.0)  # constant features: correlation 0 by definition
            got = out[f"act_corr/{name}"][...]
            error = np.abs(got - want).max()
            check(error <= 1e-6, f"act_corr/{name}: max |coact - numpy| = {error:.3g}")
            print(f"activation correlation {name} {a.shape[0]} tokens x ({a.shape[1]}, {b.shape[1]}): max error {error:.2e}")

    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("all compare checks agree with scipy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
