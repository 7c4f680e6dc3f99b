#!/usr/bin/python3
"""Fault injection (docs/reliability.md): SIGKILL one rank of a 2- or 3-rank job at a random
moment, and fill the disk under a command that writes.

train  mpirun -n R coact train ... is started; after a random delay within the uninterrupted
       run's duration one random rank gets SIGKILL. Every trial must see: every rank gone within
       ABORT_BOUND seconds (no hang), mpirun exiting non-zero; the checkpoint, when one exists,
       readable by h5py with finite parameters at a multiple of --checkpoint-every; and
       `--resume` (same rank count) ending bit-identical (every parameter and Adam moment) to
       an uninterrupted run.
graph  the same for mpirun -n R coact graph --force over an existing graph: the existing
       output untouched by the killed run, and the rerun identical (every dataset) to an
       uninterrupted build.
disk   commands writing to a nearly full filesystem (a small tmpfs when mount works, else
       RLIMIT_FSIZE via `ulimit -f` with SIGXFSZ ignored, so writes fail with EFBIG): a non-zero
       exit, one line naming the output, the previous output byte-identical, no temporary file
       left behind.

Usage: faults_test.py path/to/coact path/to/mpiexec [--train-trials N] [--graph-trials N] [--seed S]
Prints one summary line per part; exits non-zero when any trial failed.
"""
import argparse
import glob
import hashlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ABORT_BOUND = 60.0  # seconds from the kill until every rank is gone
PARAMS = ("W_enc", "b_enc", "W_dec", "b_dec")
STEPS, EVERY = 600, 50
TRAIN = ["--n", "64", "--steps", str(STEPS), "--batch-size", "512", "--threads", "1", "--checkpoint-every", str(EVERY),
         "--log-every", str(EVERY)]
GRAPH = ["--batch-tokens", "1024", "--num-batches", "24", "--threads", "1"]


class Harness:
    def __init__(self, coact, mpiexec, root, rng):
        self.coact, self.mpiexec, self.root, self.rng = coact, mpiexec, root, rng
        self.failures = []
        self.max_abort = 0.0

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def command(self, args, ranks):
        return [self.mpiexec, "-n", str(ranks), "--oversubscribe", self.coact, *args]

    def run(self, args, ranks=None, check=True, **kw):
        cmd = self.command(args, ranks) if ranks else [self.coact, *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
        return r

    def fail(self, what):
        print("FAIL " + what, flush=True)
        self.failures.append(what)


def children(pid):
    """Direct children of pid, from /proc/<pid>/task/*/children (fast), or None when the
    kernel does not provide those files."""
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return None if not os.path.exists(f"/proc/{pid}") else out
    except OSError:
        return out
    return out


def descendants(pid):
    """Pids of every process below pid (from /proc)."""
    if children(pid) is not None:
        out, frontier = [], [pid]
        while frontier:
            kids = children(frontier.pop()) or []
            out += kids
            frontier += kids
        return out
    parent = {}
    # Children get larger pids than their parent (barring wrap-around): scanning only those
    # keeps the scan short on a busy machine, so a kill lands close to its trigger.
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) > pid:
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parent[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                pass
    out, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        frontier += kids
    return out


def rank_pids(mpirun_pid, coact):
    exe = os.path.realpath(coact)
    pids = []
    for p in descendants(mpirun_pid):
        try:
            if os.path.realpath(f"/proc/{p}/exe") == exe:
                pids.append(p)
        except OSError:
            pass
    return sorted(pids)


def alive(pids):
    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(p)
        except OSError:
            pass
    return out


def kill_one_rank(h, args, ranks, ready):
    """Starts the job and SIGKILLs one random rank as soon as ready(seconds since every rank
    runs) is true. Returns (killed, abort_seconds, returncode, stderr); killed is False when the
    job ended before the kill."""
    p = subprocess.Popen(h.command(args, ranks), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    pids = []
    while p.poll() is None and len(pids) < ranks:
        time.sleep(0.02)
        pids = rank_pids(p.pid, h.coact)
    start = time.monotonic()
    while p.poll() is None and not ready(time.monotonic() - start):
        time.sleep(0.005)
    if p.poll() is not None or len(pids) < ranks:
        _, err = p.communicate(timeout=600)
        return False, 0.0, p.returncode, err
    victim = h.rng.choice(pids)
    try:
        os.kill(victim, signal.SIGKILL)
    except ProcessLookupError:  # the rank had just finished: the job ended before the kill
        _, err = p.communicate(timeout=600)
        return False, 0.0, p.returncode, err
    killed_at = time.monotonic()
    try:
        _, err = p.communicate(timeout=ABORT_BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return True, float("inf"), None, f"still running {ABORT_BOUND} s after the kill"
    # mpirun has returned; every rank must be gone too.
    while alive(pids) and time.monotonic() - killed_at < ABORT_BOUND:
        time.sleep(0.05)
    abort = time.monotonic() - killed_at
    if alive(pids):
        for q in alive(pids):
            os.kill(q, signal.SIGKILL)
        return True, float("inf"), p.returncode, f"ranks {alive(pids)} outlived mpirun"
    return True, abort, p.returncode, err


def checkpoint_step(path):
    """The step of the checkpoint at path, -1 while there is none (or it is being replaced)."""
    try:
        with h5py.File(path, "r") as f:
            return int(f.attrs["step"])
    except (OSError, KeyError):
        return -1


def load(path):
    with h5py.File(path, "r") as f:
        out = {k: f[k][...] for k in PARAMS}
        for k in PARAMS:
            out["adam_m/" + k] = f["optimizer/adam_m/" + k][...]
            out["adam_v/" + k] = f["optimizer/adam_v/" + k][...]
        out["step"] = int(f.attrs["step"])
        out["complete"] = int(f.attrs["complete"])
    return out


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[...].tobytes()) if isinstance(obj, h5py.Dataset)
                     else None)
    return out


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def killed_run(h, name, args, ranks, ready):
    """kill_one_rank, recording the abort time. Returns (killed, mpirun's exit code), or None
    (a recorded failure) when the job outlived the kill by more than ABORT_BOUND."""
    was_killed, abort, code, err = kill_one_rank(h, args, ranks, ready)
    if was_killed:
        if abort == float("inf"):
            h.fail(f"{name}: no abort within {ABORT_BOUND} s: {err}")
            return None
        h.max_abort = max(h.max_abort, abort)
    return was_killed, code


def timed_run(h, args, ranks):
    """Runs the job to completion; returns the seconds from every rank running to the end."""
    marks = {"t": 0.1}

    def never(elapsed):
        marks["t"] = max(marks["t"], elapsed)
        return False
    killed, _, code, err = kill_one_rank(h, args, ranks, never)
    if killed or code != 0:
        raise AssertionError(f"reference run {' '.join(args)} failed ({code}):\n{err}")
    return marks["t"]


# ---- train ------------------------------------------------------------------------------------

def train_trials(h, acts, trials):
    refs, durations = {}, {}
    for ranks in (2, 3):
        out = h.path(f"train_ref_{ranks}")
        durations[ranks] = timed_run(h, ["train", "--activations", acts, "--out", out, "--seed", "5", *TRAIN], ranks)
        refs[ranks] = load(os.path.join(out, "sae_5.h5"))
    survived = killed = late = 0
    steps_at_kill = []
    for t in range(trials):
        ranks = 2 + t % 2
        out = h.path(f"train_trial_{t}")
        args = ["train", "--activations", acts, "--out", out, "--seed", "5", *TRAIN]
        # A random step: once checkpoint `target` is on disk, plus up to 0.1 s (a few steps),
        # so the kill lands anywhere from before the first checkpoint to the last interval,
        # whatever the load.
        target = h.rng.randrange(0, STEPS // EVERY) * EVERY
        extra = h.rng.uniform(0.0, 0.1)
        sae = os.path.join(out, "sae_5.h5")
        seen = {}

        def ready(elapsed):
            if target and "at" not in seen:
                if checkpoint_step(sae) < target:
                    return False
                seen["at"] = elapsed
            if elapsed - seen.get("at", 0.0) < extra:
                return False
            seen["kill"] = checkpoint_step(sae)
            return True
        name = f"train trial {t} ({ranks} ranks, kill {extra:.2f} s after checkpoint {target})"
        outcome = killed_run(h, name, args, ranks, ready)
        if outcome is None:
            continue
        was_killed, code = outcome
        ok = True
        if was_killed:
            killed += 1
            if code == 0:
                # Only right when the kill came after the work was done (the rank was past
                # MPI_Finalize, exiting): the final checkpoint is then complete.
                if checkpoint_step(sae) == STEPS and load(sae)["complete"]:
                    late += 1
                else:
                    h.fail(f"{name}: mpirun exited 0 after a rank was killed mid-run")
                    ok = False
        if os.path.exists(sae):
            try:
                c = load(sae)
                if c["step"] % EVERY != 0 and not c["complete"]:
                    raise ValueError(f"checkpoint at step {c['step']}, not a multiple of {EVERY}")
                if not all(np.isfinite(c[k]).all() for k in PARAMS):
                    raise ValueError("non-finite parameters")
                steps_at_kill.append(f"{target}:{seen.get('kill')}:{c['step']}")
            except Exception as e:  # noqa: BLE001 - any failure to read is the finding
                h.fail(f"{name}: last checkpoint unreadable: {e}")
                continue
        else:
            steps_at_kill.append(f"{target}:{seen.get('kill')}:none")
        r = h.run(args + ["--resume"], ranks=ranks, check=False)
        if r.returncode != 0:
            h.fail(f"{name}: --resume failed: {r.stderr.strip()[-500:]}")
            continue
        got = load(sae)
        diff = [k for k in refs[ranks] if k not in ("step", "complete") and got[k].tobytes() != refs[ranks][k].tobytes()]
        if diff:
            h.fail(f"{name}: resumed parameters differ from the uninterrupted run: {diff}")
            ok = False
        survived += ok
    print(f"faults train: {trials} trials (2 and 3 ranks), {killed} killed ({late} of them after the work was "
          f"done, while exiting), {survived} survived "
          f"(all ranks gone, checkpoint readable, bit-identical resume); target step:checkpoint at the kill:checkpoint "
          f"after the abort {steps_at_kill}; slowest abort {h.max_abort:.2f} s (bound {ABORT_BOUND:.0f} s)", flush=True)
    return trials, survived


# ---- graph ------------------------------------------------------------------------------------

def graph_trials(h, acts, sae, trials):
    refs, durations = {}, {}
    for ranks in (2, 3):
        out = h.path(f"graph_ref_{ranks}.h5")
        durations[ranks] = timed_run(h, ["graph", "--sae", sae, "--activations", acts, "--out", out, *GRAPH], ranks)
        refs[ranks] = datasets(out)
    # The output a killed --force run must leave alone: a graph of different settings.
    previous = h.path("graph_previous.h5")
    h.run(["graph", "--sae", sae, "--activations", acts, "--out", previous, "--batch-tokens", "512",
           "--num-batches", "2", "--threads", "1"])
    survived = killed = late = 0
    for t in range(trials):
        ranks = 2 + t % 2
        out = h.path(f"graph_trial_{t}.h5")
        shutil.copyfile(previous, out)
        before = digest(out)
        args = ["graph", "--sae", sae, "--activations", acts, "--out", out, *GRAPH, "--force"]
        delay = h.rng.uniform(0.02, 0.9) * durations[ranks]
        name = f"graph trial {t} ({ranks} ranks, kill after {delay:.2f} s)"
        outcome = killed_run(h, name, args, ranks, lambda elapsed: elapsed >= delay)
        if outcome is None:
            continue
        was_killed, code = outcome
        ok = True
        if was_killed:
            killed += 1
            if code == 0:
                # Only right when the kill came after the work (past MPI_Finalize, exiting):
                # the new graph is then committed and complete.
                if datasets(out) == refs[ranks]:
                    late += 1
                else:
                    h.fail(f"{name}: mpirun exited 0 after a rank was killed mid-run")
                    ok = False
            # Either the kill came before the commit (the previous output is untouched) or
            # after it (the new graph is complete and identical to the reference).
            if digest(out) != before and datasets(out) != refs[ranks]:
                h.fail(f"{name}: the existing output changed into something other than the complete new graph")
                ok = False
        h.run(args, ranks=ranks)
        got = datasets(out)
        if got != refs[ranks]:
            h.fail(f"{name}: the rebuilt graph differs: {sorted(k for k in got if got[k] != refs[ranks].get(k))}")
            ok = False
        survived += ok
    leftovers = glob.glob(h.path(".graph_trial_*partial*"))
    print(f"faults graph: {trials} trials (2 and 3 ranks), {killed} killed ({late} of them after the work was "
          f"done, while exiting), {survived} survived "
          f"(all ranks gone, previous output intact, identical rebuild); {len(leftovers)} temporary files of "
          f"killed runs left (SIGKILL leaves no chance to clean; the next run ignores them)", flush=True)
    return trials, survived


# ---- full disk ----------------------------------------------------------------------------------

class SmallDisk:
    """A folder whose filesystem runs out of space: a tmpfs of `size` bytes when mounting works,
    else a plain folder where commands run under RLIMIT_FSIZE = `size`."""

    def __init__(self, folder, size):
        self.folder, self.size = folder, size
        os.makedirs(folder, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder], capture_output=True)
        self.mounted = r.returncode == 0
        self.how = f"tmpfs of {size // 1024} KiB" if self.mounted else f"ulimit -f {size // 1024} (RLIMIT_FSIZE)"

    def fill(self, leave):
        """Fills the tmpfs but `leave` bytes (with the limit, files over `leave` bytes fail)."""
        if self.mounted:
            st = os.statvfs(self.folder)
            free = st.f_bavail * st.f_frsize
            with open(os.path.join(self.folder, "filler"), "wb") as f:
                f.write(b"\0" * max(0, free - leave))
        else:
            self.limit = leave

    def unfill(self):
        filler = os.path.join(self.folder, "filler")
        if os.path.exists(filler):
            os.remove(filler)

    def preexec(self):
        if not self.mounted:
            limit = self.limit

            def set_limit():
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            return set_limit
        return None

    def close(self):
        if self.mounted:
            subprocess.run(["umount", self.folder], check=False)


def disk_full(h, acts, sae, graph, compare):
    disk = SmallDisk(h.path("small_disk"), 8 << 20)
    d = disk.folder
    cases = [
        ("synth", ["synth", "--out", f"{d}/acts.h5", "--rows", "200000", "--d", "16", "--features", "48", "--force"],
         f"{d}/acts.h5", ["synth", "--out", f"{d}/acts.h5", "--rows", "512", "--d", "16", "--features", "48"]),
        ("train", ["train", "--activations", acts, "--out", d, "--seed", "5", "--n", "2048", "--steps", "2",
                   "--batch-size", "512", "--threads", "1", "--force"], f"{d}/sae_5.h5",
         ["train", "--activations", acts, "--out", d, "--seed", "5", "--n", "64", "--steps", "2", "--batch-size",
          "512", "--threads", "1"]),
        ("graph", ["graph", "--sae", sae, "--activations", acts, "--out", f"{d}/graph.h5", *GRAPH, "--force"],
         f"{d}/graph.h5", None),
        ("export", ["export", "--graph", graph, "--format", "graphml", "--out", f"{d}/graph.graphml", "--force"],
         f"{d}/graph.graphml", None),
        ("report", ["report", "--compare", compare, "--out", f"{d}/report.md", "--force"], f"{d}/report.md", None),
        ("export_sae", ["export", "--sae", sae, "--format", "saelens", "--out", f"{d}/saelens", "--force"],
         f"{d}/saelens/sae_weights.safetensors", None),
    ]
    handled = 0
    try:
        for name, args, output, make_previous in cases:
            disk.unfill()
            # The previous output: a small valid one, written while there is room.
            if make_previous:
                h.run(make_previous)
            else:
                os.makedirs(os.path.dirname(output), exist_ok=True)
                with open(output, "wb") as f:
                    f.write(b"previous output\n")
            before = {p: digest(p) for p in glob.glob(f"{d}/**", recursive=True) if os.path.isfile(p)}
            disk.fill(leave=4096)
            r = subprocess.run([h.coact, *args], capture_output=True, text=True, timeout=600,
                               preexec_fn=disk.preexec())
            disk.unfill()
            after = {p: digest(p) for p in glob.glob(f"{d}/**", recursive=True) if os.path.isfile(p)}
            lines = [x for x in r.stderr.splitlines() if x.startswith("coact")]
            problem = None
            if r.returncode == 0:
                problem = "succeeded on a full disk"
            elif r.returncode < 0:
                problem = f"killed by signal {-r.returncode}"
            elif len(lines) != 1 or os.path.basename(output) not in lines[0] and d not in lines[0]:
                problem = f"expected one line naming {os.path.basename(output)}: {r.stderr.strip()[-800:]}"
            elif before != after:
                problem = f"previous outputs changed or temporaries left: {sorted(set(before) ^ set(after))} " \
                          f"{[p for p in before if p in after and before[p] != after[p]]}"
            if problem:
                h.fail(f"disk full, {name}: {problem}")
            else:
                handled += 1
                print(f"  disk full, {name}: {lines[0]}", flush=True)
    finally:
        disk.close()
    print(f"faults disk: {len(cases)} commands on a full disk ({disk.how}), {handled} gave one clear line "
          f"and left the previous output intact", flush=True)
    return len(cases), handled


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("coact")
    ap.add_argument("mpiexec")
    ap.add_argument("--train-trials", type=int, default=2)
    ap.add_argument("--graph-trials", type=int, default=2)
    ap.add_argument("--no-disk", action="store_true")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    print(f"faults: random seed {seed} (rerun with --seed {seed})", flush=True)
    root = tempfile.mkdtemp(prefix="coact_faults_")
    h = Harness(os.path.abspath(a.coact), a.mpiexec, root, random.Random(seed))
    acts = h.path("acts.h5")
    h.run(["synth", "--out", acts, "--rows", "30000", "--d", "16", "--features", "48", "--seed", "2"])
    h.run(["train", "--activations", acts, "--out", root, "--seeds", "1,2", "--n", "64", "--steps", "10",
           "--batch-size", "512", "--threads", "1"])
    sae = h.path("sae_1.h5")
    if a.train_trials:
        train_trials(h, acts, a.train_trials)
    if a.graph_trials:
        graph_trials(h, acts, sae, a.graph_trials)
    if not a.no_disk:
        for s in (1, 2):
            h.run(["graph", "--sae", h.path(f"sae_{s}.h5"), "--activations", acts, "--out", h.path(f"g{s}.h5"), *GRAPH])
        h.run(["compare", "--sae", h.path("sae_1.h5"), h.path("sae_2.h5"), "--graphs", h.path("g1.h5"), h.path("g2.h5"),
               "--out", h.path("compare.h5"), "--threads", "1"])
        disk_full(h, acts, sae, h.path("g1.h5"), h.path("compare.h5"))
    shutil.rmtree(root, ignore_errors=True)
    if h.failures:
        print(f"faults: {len(h.failures)} failures")
        sys.exit(1)


if __name__ == "__main__":
    main()
