"""Wall time and peak resident set of a command and every process under it, for the benchmarks
that compare one rank with several (`mpirun` included)."""
import subprocess
import sys
import time

# The largest RSS of the command's process tree: mpirun waits for its ranks, this wrapper for
# mpirun, so RUSAGE_CHILDREN's ru_maxrss is the largest of them all.
_WRAPPER = ("import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
            "sys.exit(r.returncode)\n")


def measured(command):
    """Runs `command`: (seconds, the largest peak RSS of its processes in bytes); exits with its
    error output if it fails."""
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _WRAPPER, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return seconds, int(r.stdout.split()[-1])
