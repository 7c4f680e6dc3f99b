#!/usr/bin/python3
"""The bad-input corpus (tests/corpus/make_corpus.py) through every command that reads each
kind of file. For every (case, command) run:

- the command exits non-zero, by itself: not by a signal (crash, sanitizer abort) or the timeout;
- stderr holds exactly one line starting with "coact", and it names the file (its base name);
- no partial output: the work folder holds exactly what it held before (no new file, no
  temporary left behind) and every file in it, the input and an existing output given with
  --force, is byte-identical.

"either" cases (random bit flips) may also succeed; then only the crash check applies. A
command listed in a case's valid_for reads a file that is valid for it (a store of another
width is a fine store to describe). Commands missing from the built coact are skipped.

Usage: corpus_test.py path/to/coact [--quick] [--cases NAME,...]   (COACT_CORPUS_JOBS: parallel runs)
Prints the count of (case, command) runs and of cases, by role.
"""
import collections
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402

TIMEOUT = 120
SAE_ARGS = ["--seed", "1", "--n", "64", "--steps", "20", "--batch-size", "512", "--checkpoint-every", "0"]
GRAPH_ARGS = ["--batch-tokens", "1024", "--num-batches", "4"]

# role -> [(label, argv template, output)]; output: None, "file" (an existing file given with
# --force), "dir" (an existing folder with a file in it, --force) or "resume" (the case is the
# checkpoint to resume). {F}: the case (copied into the work folder), {G}: the good artifacts,
# {O}: the output path.
COMMANDS = {
    "acts": [
        ("describe", ["describe", "{F}"], None),
        ("describe_check", ["describe", "--check", "{F}"], None),
        ("train", ["train", "--activations", "{F}", "--out", "{O}", *SAE_ARGS, "--force"], "dir"),
        ("graph", ["graph", "--sae", "{G}/sae_1.h5", "--activations", "{F}", "--out", "{O}", *GRAPH_ARGS, "--force"],
         "file"),
        ("inspect", ["inspect", "--feature", "0", "--graph", "{G}/graph_1.h5", "--activations", "{F}"], None),
    ],
    "sae": [
        ("describe", ["describe", "{F}"], None),
        ("describe_check", ["describe", "--check", "{F}"], None),
        ("graph", ["graph", "--sae", "{F}", "--activations", "{G}/acts.h5", "--out", "{O}", *GRAPH_ARGS, "--force"],
         "file"),
        ("export", ["export", "--sae", "{F}", "--format", "saelens", "--out", "{O}", "--force"], "dir"),
        ("compare", ["compare", "--sae", "{F}", "{G}/sae_2.h5", "--graphs", "{G}/graph_1.h5", "{G}/graph_2.h5",
                     "--out", "{O}", "--force"], "file"),
        ("train_resume", ["train", "--activations", "{G}/acts.h5", "--out", "{O}", *SAE_ARGS, "--resume"], "resume"),
        ("inspect", ["inspect", "--feature", "0", "--graph", "{G}/graph_1.h5", "--sae", "{F}", "--activations",
                     "{G}/acts.h5"], None),
    ],
    "graph": [
        ("describe", ["describe", "{F}"], None),
        ("describe_check", ["describe", "--check", "{F}"], None),
        ("stats", ["stats", "{F}"], None),
        ("export_graphml", ["export", "--graph", "{F}", "--format", "graphml", "--out", "{O}", "--force"], "file"),
        ("export_edgelist", ["export", "--graph", "{F}", "--format", "edgelist", "--out", "{O}", "--force"], "file"),
        ("compare", ["compare", "--sae", "{G}/sae_1.h5", "{G}/sae_2.h5", "--graphs", "{F}", "{G}/graph_2.h5",
                     "--out", "{O}", "--force"], "file"),
        ("inspect", ["inspect", "--feature", "0", "--graph", "{F}"], None),
        ("path", ["path", "--graph", "{F}", "--from", "0", "--to", "1"], None),
        ("communities", ["communities", "--graph", "{F}"], None),
        ("centrality", ["centrality", "--graph", "{F}"], None),
    ],
    "compare": [
        ("describe", ["describe", "{F}"], None),
        ("describe_check", ["describe", "--check", "{F}"], None),
        ("report", ["report", "--compare", "{F}", "--out", "{O}", "--no-plots", "--force"], "file"),
        ("inspect", ["inspect", "--feature", "0", "--graph", "{G}/graph_1.h5", "--compare", "{F}"], None),
    ],
    "safetensors": [("import", ["import", "--from", "{F}", "--out", "{O}", "--force"], "file")],
    "pt": [("import", ["import", "--from", "{F}", "--out", "{O}", "--force"], "file")],
    "saelens": [("import", ["import", "--from", "{F}", "--out", "{O}", "--force"], "file")],
    "sae_source": [("import", ["import", "--from", "{F}", "--out", "{O}", "--force"], "file")],
    "tokenizer": [
        ("tokenize", ["tokenize", "--tokenizer", "{F}", "--input", "{G}/doc.txt", "--out", "{O}", "--force"], "file"),
        ("inspect", ["inspect", "--feature", "0", "--graph", "{G}/graph_1.h5", "--activations", "{G}/acts.h5",
                     "--tokenizer", "{F}"], None),
    ],
    "gpt2": [("tokenize", ["tokenize", "--encoder", "{F}/encoder.json", "--merges", "{F}/vocab.bpe", "--input",
                           "{G}/doc.txt", "--out", "{O}", "--force"], "file")],
    "ini": [
        ("describe", ["describe", "--config", "{F}", "{G}/acts.h5"], None),
        ("train", ["train", "--config", "{F}", "--activations", "{G}/acts.h5", "--out", "{O}", *SAE_ARGS, "--force"],
         "dir"),
        ("graph", ["graph", "--config", "{F}", "--sae", "{G}/sae_1.h5", "--activations", "{G}/acts.h5", "--out", "{O}",
                   *GRAPH_ARGS, "--force"], "file"),
        ("stats", ["stats", "--config", "{F}", "{G}/graph_1.h5"], None),
        ("compare", ["compare", "--config", "{F}", "--sae", "{G}/sae_1.h5", "{G}/sae_2.h5", "--graphs",
                     "{G}/graph_1.h5", "{G}/graph_2.h5", "--out", "{O}", "--force"], "file"),
        ("report", ["report", "--config", "{F}", "--compare", "{G}/compare.h5", "--out", "{O}", "--no-plots",
                    "--force"], "file"),
        ("export", ["export", "--config", "{F}", "--graph", "{G}/graph_1.h5", "--format", "edgelist", "--out", "{O}",
                    "--force"], "file"),
        ("import", ["import", "--config", "{F}", "--from", "{G}/saelens", "--out", "{O}", "--force"], "file"),
        ("tokenize", ["tokenize", "--config", "{F}", "--tokenizer", "{G}/tokenizer.json", "--input", "{G}/doc.txt",
                      "--out", "{O}", "--force"], "file"),
    ],
}

# Cases that are valid input for some commands: (case name prefix, command labels).
VALID_FOR = [
    ("acts_wrong_width", {"describe", "describe_check", "train"}),  # a fine store of width 12
    ("acts_float64", {"describe", "describe_check"}),
    ("acts_nan", {"describe"}), ("acts_inf", {"describe"}), ("acts_neginf", {"describe"}),
    ("acts_all_nan", {"describe"}),
    # describe without --check says what a readable HDF5 file holds; --check validates it.
    ("sae_W_", {"describe"}), ("sae_no_b_dec", {"describe"}), ("sae_kind_", {"describe"}),
    ("graph_index_", {"describe"}), ("graph_negative_", {"describe"}), ("graph_indptr_", {"describe"}),
    ("graph_indices_", {"describe"}), ("graph_no_csr", {"describe"}), ("graph_kind_", {"describe"}),
    ("graph_weight_nan", {"describe"}), ("compare_kind_", {"describe"}), ("compare_no_pairs", {"describe"}),
    # "inspect --compare" reads the pairs of the graph's SAE only when it has matches to show.
    ("tok_", {"inspect"}),  # the synthetic store has no /tokens: inspect never decodes
]


def valid_for(case, label):
    return any(case["name"].startswith(prefix) and label in labels for prefix, labels in VALID_FOR)


def snapshot(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def available_commands(coact):
    r = subprocess.run([coact, "--help"], capture_output=True, text=True, timeout=60)
    names = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if line.startswith("  ") and parts:
            names.add(parts[0])
    return names


def run_case(coact, corpus, case, label, template, output, scratch):
    """Returns "refused" (a clean refusal) or "accepted" (an allowed success) when the run
    passed, else a one-line description of what went wrong."""
    work = tempfile.mkdtemp(dir=scratch)
    src = os.path.join(corpus, case["path"])
    local = os.path.join(work, os.path.basename(src))
    (shutil.copytree if os.path.isdir(src) else shutil.copyfile)(src, local)
    out = os.path.join(work, "out")
    if output == "file":
        with open(out, "wb") as f:
            f.write(b"an existing output that a failed run must leave alone\n")
    elif output == "dir":
        os.makedirs(out)
        shutil.copyfile(os.path.join(corpus, "good", "sae_1.h5"), os.path.join(out, "sae_1.h5"))
        with open(os.path.join(out, "cfg.json"), "w") as f:
            f.write("{}\n")
    elif output == "resume":
        os.makedirs(out)
        os.replace(local, os.path.join(out, "sae_1.h5"))
        local = os.path.join(out, "sae_1.h5")
    argv = [a.replace("{F}", local).replace("{G}", os.path.join(corpus, "good")).replace("{O}", out) for a in template]
    before = snapshot(work)
    try:
        r = subprocess.run([coact, *argv], capture_output=True, timeout=TIMEOUT, cwd=work)
    except subprocess.TimeoutExpired:
        return f"timed out after {TIMEOUT} s"
    stderr = r.stderr.decode("utf-8", "replace")
    after = snapshot(work)
    shutil.rmtree(work, ignore_errors=True)
    if r.returncode < 0:
        return f"killed by signal {-r.returncode}: {stderr[-2000:]}"
    if r.returncode == 0:
        if case["kind"] == "either" or valid_for(case, label):
            return "accepted"
        return "exited 0 on bad input"
    if r.returncode >= 126:
        return f"exit {r.returncode} (a crash or abort?): {stderr[-2000:]}"
    lines = [line for line in stderr.splitlines() if line.startswith("coact")]
    if len(lines) != 1 or len(stderr.strip().splitlines()) > 3:
        return f"expected one 'coact ...' line on stderr, got:\n{stderr[-3000:]}"
    named = [os.path.basename(src), os.path.basename(local)]
    if case["role"] == "ini":  # a bad value may be named by its key, as the command line would
        with open(src, "rb") as f:
            named.append("--" + f.read().split(b"=")[0].strip().decode("latin-1"))
    if not any(name in lines[0] for name in named):
        return f"message does not name {os.path.basename(src)}: {lines[0]}"
    if before != after:
        changed = sorted(set(before.items()) ^ set(after.items()))
        return f"outputs changed or left behind: {[name for name, _ in changed]} ({lines[0]})"
    return "refused"


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    coact = os.path.abspath(args[0])
    quick = "--quick" in args
    only = None
    if "--cases" in args:
        only = set(args[args.index("--cases") + 1].split(","))
    scratch = tempfile.mkdtemp(prefix="coact_corpus_")
    corpus = os.path.join(scratch, "corpus")
    cases = [c.entry(corpus) for c in make_corpus.make_corpus(coact, corpus)]
    if quick:  # the default suite: every role, 4 cases spread over its list, every fuzz finding
        by_role = collections.defaultdict(list)
        for c in cases:
            by_role[c["role"]].append(c)
        kept = []
        for role_cases in by_role.values():
            picks = {round(i * (len(role_cases) - 1) / 3) for i in range(4)}
            kept += [c for i, c in enumerate(role_cases) if i in picks or c["name"].startswith("finding_")]
        cases = kept
    if only:
        cases = [c for c in cases if c["name"] in only]
    present = available_commands(coact)
    workers = int(os.environ.get("COACT_CORPUS_JOBS", os.cpu_count() or 1))
    runs = failures = 0
    handled = collections.Counter()
    tried = collections.Counter()
    outcomes = collections.Counter()
    problems = []
    jobs = [(case, label, template, output) for case in cases for label, template, output in COMMANDS[case["role"]]
            if template[0] in present]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda job: run_case(coact, corpus, *job, scratch), jobs)
        for (case, label, _, _), outcome in zip(jobs, results):
            runs += 1
            tried[case["role"]] += 1
            if outcome in ("refused", "accepted"):
                handled[case["role"]] += 1
                outcomes[outcome] += 1
            else:
                failures += 1
                problems.append(f"{case['name']} / {label}: {outcome}")
    skipped = sorted({t[0] for cmds in COMMANDS.values() for _, t, _ in cmds} - present)
    print(f"corpus: {len(cases)} cases, {runs} (case, command) runs, {runs - failures} handled, {failures} failed; "
          f"handled = {outcomes['refused']} refused with one line naming the file, {outcomes['accepted']} accepted "
          f"(a bit flip that left the file valid, or a file valid for that command)")
    for role in tried:
        print(f"  {role}: {tried[role]} runs, {handled[role]} handled")
    if skipped:
        print(f"  commands not in this coact (skipped): {', '.join(skipped)}")
    for p in problems:
        print("FAIL " + p)
    shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
