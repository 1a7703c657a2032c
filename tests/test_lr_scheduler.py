"""torch.optim.lr_scheduler on torchjax vs real torch: lr (and momentum) at every step."""
import math
import warnings

import pytest
import torch

import torchjax

N = 35


def _opts(opt="SGD", **kw):
    t = getattr(torch.optim, opt)([{"params": [torch.nn.Parameter(torch.ones(2))]},
                                   {"params": [torch.nn.Parameter(torch.ones(1))], "lr": 0.3}],
                                  lr=0.1, **kw)
    j = getattr(torchjax.optim, opt)([{"params": [torchjax.nn.Parameter(torchjax.ones(2))]},
                                      {"params": [torchjax.nn.Parameter(torchjax.ones(1))],
                                       "lr": 0.3}], lr=0.1, **kw)
    return t, j


def _mk(lib, opt, spec):
    name, kw = spec
    S = lib.optim.lr_scheduler
    if name == "Chained":
        return S.ChainedScheduler([S.ExponentialLR(opt, gamma=0.9), S.StepLR(opt, 3, 0.5)])
    if name == "Sequential":
        return S.SequentialLR(opt, [S.LinearLR(opt, 0.1, total_iters=4),
                                    S.CosineAnnealingLR(opt, T_max=10)], milestones=[6])
    return getattr(S, name)(opt, **kw)


SPECS = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.97)),
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 8, 8, 20], gamma=0.3)),
    ("ConstantLR", dict(factor=0.25, total_iters=7)),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=12)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("PolynomialLR", dict(total_iters=20, power=2.0)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.2, step_size_up=5, mode="triangular2")),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=4, step_size_down=6,
                      mode="exp_range", gamma=0.97)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=N + 1)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.4], total_steps=N + 1, three_phase=True,
                        anneal_strategy="linear")),
    ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=2, eta_min=0.001)),
    ("Chained", {}),
    ("Sequential", {}),
]


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s[0]}{i}" for i, s in enumerate(SPECS)])
@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_lr_values_match_torch(spec, opt):
    kw = {"momentum": 0.9} if opt == "SGD" else {}
    t_opt, j_opt = _opts(opt, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts, js = _mk(torch, t_opt, spec), _mk(torchjax, j_opt, spec)
        for i in range(N):
            assert js.get_last_lr() == ts.get_last_lr(), i
            for tg, jg in zip(t_opt.param_groups, j_opt.param_groups):
                assert jg["lr"] == tg["lr"]
                for k in ("momentum", "betas", "initial_lr", "max_lr", "min_lr"):
                    assert jg.get(k) == tg.get(k), (i, k)
            t_opt.step()
            j_opt.step()
            ts.step()
            js.step()
    if spec[0] not in ("Chained", "Sequential", "LambdaLR", "MultiplicativeLR"):
        tsd, jsd = ts.state_dict(), js.state_dict()
        assert set(tsd) == set(jsd)
        for k in tsd:
            if not callable(tsd[k]):
                assert jsd[k] == tsd[k], k


def test_reduce_lr_on_plateau():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6] * 3
    for kw in [dict(patience=2, factor=0.5), dict(mode="max", threshold_mode="abs", patience=1,
                                                  cooldown=2, min_lr=[0.05, 0.01])]:
        t_opt, j_opt = _opts()
        ts = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kw)
        js = torchjax.optim.lr_scheduler.ReduceLROnPlateau(j_opt, **kw)
        for i, m in enumerate(metrics):
            t_opt.step()
            j_opt.step()
            ts.step(torch.tensor(m) if i % 2 else m)
            js.step(torchjax.tensor(m) if i % 2 else m)
            assert js.get_last_lr() == ts.get_last_lr()
            assert js.num_bad_epochs == ts.num_bad_epochs and js.best == ts.best


def test_warnings_and_errors():
    _, j_opt = _opts()
    s = torchjax.optim.lr_scheduler.StepLR(j_opt, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        s.step()
    _, j_opt = _opts()
    s = torchjax.optim.lr_scheduler.StepLR(j_opt, 2)
    j_opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        torchjax.optim.lr_scheduler.StepLR([], 2)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        torchjax.optim.lr_scheduler.StepLR(_opts()[1], 2, last_epoch=3)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        torchjax.optim.lr_scheduler.CosineAnnealingWarmRestarts(j_opt, 0)
    with pytest.raises(ValueError, match="Tried to step 3 times"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = torchjax.optim.lr_scheduler.OneCycleLR(_opts()[1], 1.0, total_steps=2)
        s.step()
        s.step()
        s.step()


def test_initial_lr_and_state_dict_roundtrip():
    _, j_opt = _opts()
    s = torchjax.optim.lr_scheduler.CosineAnnealingLR(j_opt, T_max=10)
    assert [g["initial_lr"] for g in j_opt.param_groups] == [0.1, 0.3]
    for _ in range(4):
        j_opt.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 4
    _, j2 = _opts()
    s2 = torchjax.optim.lr_scheduler.CosineAnnealingLR(j2, T_max=10)
    s2.load_state_dict(sd)
    assert s2.get_last_lr() == s.get_last_lr() and s2.last_epoch == 4
    assert math.isclose(s.get_last_lr()[0], 0.1 * (1 + math.cos(math.pi * 4 / 10)) / 2)


def test_warning_when_optimizer_stepped_only_before_scheduler_creation():
    for lib in (torch, torchjax):
        _, j_opt = _opts() if lib is torchjax else (None, _opts()[0])
        j_opt.step()
        s = lib.optim.lr_scheduler.StepLR(j_opt, 2)
        with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step"):
            s.step()
