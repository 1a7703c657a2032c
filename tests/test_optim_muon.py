"""torch.optim.Muon against real torch, beyond optim_db's configurations (see test_optim.py)."""
import re

import numpy as np
import pytest
import torch

import torchjax


def _pair(shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    vals = [rng.standard_normal(s).astype(dtype) for s in shapes]
    return ([torch.nn.Parameter(torch.tensor(v)) for v in vals],
            [torchjax.nn.Parameter(torchjax.tensor(v)) for v in vals])


def _run(kwargs, shapes=((4, 3), (2, 5)), dtype=np.float32, steps=4):
    tp, jp = _pair(shapes, dtype)
    to, jo = torch.optim.Muon(tp, **kwargs), torchjax.optim.Muon(jp, **kwargs)
    assert repr(to) == repr(jo)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        for a, b in zip(tp, jp):
            g = rng.standard_normal(a.shape).astype(dtype)
            a.grad, b.grad = torch.tensor(g), torchjax.tensor(g)
        to.step()
        jo.step()
        for a, b in zip(tp, jp):
            assert str(a.dtype) == str(b.dtype)
            np.testing.assert_allclose(np.asarray(b.detach()), a.detach().numpy(),
                                       rtol=1.3e-6, atol=1e-5)
    ts, js = to.state_dict(), jo.state_dict()
    assert ts["param_groups"] == js["param_groups"]
    for i, s in ts["state"].items():
        assert list(s) == list(js["state"][i]) == ["momentum_buffer"]
        np.testing.assert_allclose(np.asarray(js["state"][i]["momentum_buffer"]),
                                   s["momentum_buffer"].numpy(), rtol=1.3e-6, atol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {"nesterov": False, "lr": 0.02},
    {"adjust_lr_fn": "original", "lr": 0.02},
    {"adjust_lr_fn": "match_rms_adamw", "lr": 0.02, "weight_decay": 0.0},
    {"momentum": 0.0, "ns_steps": 0, "lr": 0.02},
    {"eps": 1e-3, "ns_steps": 3},
])
def test_muon_options(kwargs):
    _run(kwargs)


def test_muon_bigger_and_float64():
    _run({"lr": 0.02}, shapes=((24, 8), (8, 40)), steps=3)
    _run({"lr": 0.02}, shapes=((5, 3),), dtype=np.float64, steps=3)


def _error_pair(make):
    with pytest.raises(Exception) as te:
        make(torch)
    with pytest.raises(type(te.value), match=re.escape(str(te.value))):
        make(torchjax)


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"momentum": -0.5}, {"weight_decay": -1.0},
                                    {"adjust_lr_fn": "other"}])
def test_muon_construction_errors(kwargs):
    _error_pair(lambda lib: lib.optim.Muon([lib.nn.Parameter(lib.ones(2, 2))], **kwargs))


def test_muon_non_2d_param_errors():
    _error_pair(lambda lib: lib.optim.Muon([lib.nn.Parameter(lib.ones(2, 3, 4))]))
    _error_pair(lambda lib: lib.optim.Muon([lib.nn.Parameter(lib.ones(3))]))

    def added_later(lib):  # add_param_group skips the 2-D check; the step raises
        opt = lib.optim.Muon([lib.nn.Parameter(lib.ones(2, 2))])
        p = lib.nn.Parameter(lib.ones(3))
        p.grad = lib.ones(3)
        opt.add_param_group({"params": [p]})
        opt.step()
    _error_pair(added_later)


@pytest.mark.parametrize("kwargs", [{"ns_steps": 100}, {"ns_coefficients": (1.0, 2.0)}])
def test_muon_step_errors(kwargs):
    def make(lib):
        p = lib.nn.Parameter(lib.ones(2, 3))
        p.grad = lib.ones(2, 3)
        lib.optim.Muon([p], **kwargs).step()
    _error_pair(make)
