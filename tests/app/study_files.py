"""What the `coact run` tests (run_test.py, slurm_test.py) compare between two study directories."""
import h5py

PARAMS = ("W_enc", "W_dec", "b_enc", "b_dec")


def params(path):
    """An SAE's parameters as bytes, for bit-for-bit comparison."""
    with h5py.File(path, "r") as f:
        return {k: f[k][...].tobytes() for k in PARAMS}


def tables(report, directory):
    """The report without the line naming its input path (the directories differ)."""
    with open(report) as fh:
        return fh.read().replace(directory.rstrip("/") + "/", "")
