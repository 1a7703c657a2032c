"""No op_db entry listed in compat_suite/baseline.json may regress (forward values, gradients,
error inputs). Refresh the baseline with `python -m compat_suite.run --update-baseline`."""
import json
import os

import pytest

from compat_suite import opinfo
from compat_suite.run import BASELINE

with open(BASELINE) as f:
    _BASE = json.load(f)
_ENTRIES = {opinfo.entry_key(op): op for op in opinfo.op_db()}


def test_baseline_names_exist():
    assert not set(_BASE) - set(_ENTRIES), "baseline names entries op_db lacks"


def _family_keys():
    """Entries that tests/test_ops_<family>.py already run through the same harness, at least as
    strictly (no failing sample at all): running them here again doubled the suite's slowest part."""
    import importlib.util
    keys = set()
    for name, attr in (("pointwise", "_ENTRIES"), ("reduction", "OPINFO"),
                       ("shape_indexing", "_entries"), ("linalg", "ENTRIES")):
        path = os.path.join(os.path.dirname(__file__), f"test_ops_{name}.py")
        spec = importlib.util.spec_from_file_location(f"_family_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        v = getattr(mod, attr)
        keys |= set(v() if callable(v) else v)
    return keys


@pytest.mark.parametrize("key", sorted(set(_BASE) - _family_keys()))
def test_entry(key):
    import torchjax
    want = _BASE[key]
    r = opinfo.run_entry(_ENTRIES[key], torchjax)
    assert r.status == "tested", f"{key}: {r.status} {r.reason}"
    assert not r.forward_fail, r.forward_fail
    if want["grad"]:
        assert r.grad_samples and not r.grad_fail, r.grad_fail or "no gradient compared"
    assert r.errors_matched >= want["errors_matched"], r.errors_fail


# ---- the harness itself, checked with torch standing in for torchjax ----

def test_harness_torch_vs_torch():
    import torch
    keys = ["add", "item", "polygamma:polygamma_n_1", "where", "T", "__radd__", "max:reduction_with_dim",
            "linalg.svd", "fft.rfft", "broadcast_shapes", "nn.functional.relu", "cat", "bool"]
    for key in keys:
        r = opinfo.run_entry(_ENTRIES[key], torch)
        assert r.forward_ok, (key, r.forward_fail)
        assert not r.grad_fail, (key, r.grad_fail)
        assert r.errors_matched == r.errors_total, (key, r.errors_fail)


def test_compare_reports_mismatches():
    import torch
    from compat_suite.compare import Mismatch, compare
    a = torch.tensor([1.0, 2.0])
    compare(a, a + 1e-6)
    compare((a, 3, torch.Size([2]), torch.float32), (a.clone(), 3, torch.Size([2]), torch.float32))
    for expected, actual, words in [
            (a, a + torch.tensor([0, 1e-3]), "value mismatch at out[1]"), (a, a.double(), "dtype float64"),
            (a, a[None], "shape"), ((a, a), (a,), "sequence of 2"), (1.0, 1, "expected float"),
            (True, 1, "expected True"), (torch.tensor([1]), torch.tensor([2]), "max abs diff 1")]:
        with pytest.raises(Mismatch, match=words.replace("[", r"\[")):
            compare(expected, actual)
    nan = torch.tensor([float("nan"), float("inf")])
    compare(nan, nan.clone())
