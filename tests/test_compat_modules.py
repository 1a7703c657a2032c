"""No module_db entry listed in compat_suite/module_baseline.json may regress (outputs, state
after forward, input and parameter gradients, train and eval). Refresh the baseline with
`python -m compat_suite.modules --update-baseline`."""
import json

import pytest

from compat_suite import modules

with open(modules.BASELINE) as f:
    _BASE = json.load(f)
_ENTRIES = {m.name: m for m in modules.module_db()}


def test_baseline_names_exist():
    assert not set(_BASE) - set(_ENTRIES), "baseline names entries module_db lacks"


@pytest.mark.parametrize("key", _BASE)
def test_module(key):
    import torchjax
    r = modules.run_module(_ENTRIES[key], torchjax)
    assert r.status == "tested", f"{key}: {r.status} {r.reason}"
    assert not r.forward_fail, r.forward_fail
    assert not r.grad_fail, r.grad_fail


def test_harness_torch_vs_torch():
    import torch
    for key in ["nn.Linear", "nn.BatchNorm2d", "nn.LSTM", "nn.LazyConv2d", "nn.CrossEntropyLoss"]:
        r = modules.run_module(_ENTRIES[key], torch)
        assert r.ok and r.samples and r.grad_samples, (key, r.forward_fail, r.grad_fail)


def test_harness_catches_a_wrong_module():
    import torch
    import torchjax

    class Wrong(torchjax.nn.Linear):
        def forward(self, input):
            return super().forward(input) * 1.001
    info = _ENTRIES["nn.Linear"]
    r = modules.run_module(info, torchjax)
    assert r.ok, r.forward_fail or r.grad_fail
    old = torchjax.nn.Linear
    try:
        torchjax.nn.Linear = Wrong
        r = modules.run_module(info, torchjax)
    finally:
        torchjax.nn.Linear = old
    assert "mismatch" in r.forward_fail
