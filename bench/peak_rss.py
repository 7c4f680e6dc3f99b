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


def measured(command, log=None):
    """Runs `command`: (seconds, the largest peak RSS of its processes in bytes); exits with its
    error output if it fails. With `log` (a path), each line the command writes to stderr goes
    there as it comes, after the seconds since the start: the phases' times of a long run."""
    start = time.perf_counter()
    wrapper = subprocess.Popen([sys.executable, "-c", _WRAPPER, *command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    tail = ""
    with open(log if log else "/dev/null", "w") as out:
        for line in wrapper.stderr:  # text mode: a progress line's "\r" ends a line too
            out.write(f"{time.perf_counter() - start:9.1f} s  {line}")
            out.flush()
            tail = (tail + line)[-3000:]
    stdout = wrapper.stdout.read()
    wrapper.wait()
    seconds = time.perf_counter() - start
    if wrapper.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({wrapper.returncode}):\n{tail}")
    return seconds, int(stdout.split()[-1])
