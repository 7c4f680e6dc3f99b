"""h5py, as a user would, reads the file three ranks wrote collectively."""
import sys

import h5py
import numpy as np

path = sys.argv[1]
with h5py.File(path, "r") as f:
    acts = f["activations"][...]
    assert acts.dtype == np.float32, acts.dtype
    assert acts.shape == (101, 7), acts.shape
    rows, cols = np.meshgrid(np.arange(101), np.arange(7), indexing="ij")
    np.testing.assert_array_equal(acts, ((rows * 1000 + cols) * 0.25).astype(np.float32))
    assert f.attrs["producer"] == "coact test", f.attrs["producer"]
    assert int(f.attrs["ranks"]) == 3
    assert list(f["tokens"][...]) == [1, 2, 3]
print(f"h5py read {path}: activations {acts.shape} {acts.dtype}, attributes ok")
