"""torch.optim on torchjax vs real torch: optim_db configurations, state_dict layout and
round-trips, param groups, errors, repr, in-place writes, and the one-jit-per-group update."""
import importlib
import warnings

import numpy as np
import pytest
import torch

import torchjax
from compat_suite import optim as suite


def _tj(t):
    return torchjax.tensor(t.detach().numpy())


def _pair(shapes=((3, 2), (2,)), seed=0):
    rng = np.random.default_rng(seed)
    vals = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return ([torch.nn.Parameter(torch.tensor(v)) for v in vals],
            [torchjax.nn.Parameter(torchjax.tensor(v)) for v in vals])


def _set_grads(tp, jp, rng):
    for a, b in zip(tp, jp):
        g = rng.standard_normal(tuple(a.shape)).astype(np.float32)
        a.grad, b.grad = torch.tensor(g), torchjax.tensor(g)


def _close(a, b):
    np.testing.assert_allclose(np.asarray(b.detach()), a.detach().numpy(), rtol=1.3e-6, atol=1e-5)


def test_optim_db_all_configurations():
    res = suite.run(steps=3)
    names = {"SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad",
             "Adadelta", "ASGD", "Rprop", "LBFGS", "Adafactor", "Muon"}
    assert names <= set(res)
    bad = {n: f for n, (p, t, f) in res.items() if p != t}
    assert not bad, bad
    assert sum(t for _, t, _ in res.values()) > 150


def _to_tj_state(sd):
    return {"state": {k: {n: (_tj(v) if isinstance(v, torch.Tensor) else v) for n, v in s.items()}
                      for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


@pytest.mark.parametrize("name,kw", [("Adam", {"amsgrad": True, "weight_decay": 0.1}),
                                     ("SGD", {"momentum": 0.9, "nesterov": True}),
                                     ("AdamW", {}), ("NAdam", {}), ("RMSprop", {"centered": True,
                                                                               "momentum": 0.5})])
def test_load_torch_state_dict_and_continue(name, kw):
    tp, jp = _pair()
    topt = getattr(torch.optim, name)(tp, lr=0.01, **kw)
    rng = np.random.default_rng(3)
    for _ in range(3):
        for a in tp:
            a.grad = torch.tensor(rng.standard_normal(tuple(a.shape)).astype(np.float32))
        topt.step()
    sd = topt.state_dict()
    for a, b in zip(tp, jp):  # same current params
        b.data = _tj(a)
    jopt = getattr(torchjax.optim, name)(jp, lr=0.5, **kw)
    jopt.load_state_dict(_to_tj_state(sd))
    assert jopt.param_groups[0]["lr"] == 0.01
    for _ in range(3):
        _set_grads(tp, jp, rng)
        topt.step()
        jopt.step()
    for a, b in zip(tp, jp):
        _close(a, b)
    js, ts = jopt.state_dict(), topt.state_dict()
    assert js["param_groups"] == ts["param_groups"]
    for k in ts["state"]:
        assert list(js["state"][k]) == list(ts["state"][k])
        for n, v in ts["state"][k].items():
            assert str(js["state"][k][n].dtype) == str(v.dtype)
            _close(v, js["state"][k][n])


def test_state_dict_layout_adam():
    tp, jp = _pair()
    topt, jopt = torch.optim.Adam(tp), torchjax.optim.Adam(jp)
    _set_grads(tp, jp, np.random.default_rng(0))
    topt.step()
    jopt.step()
    ts, js = topt.state_dict(), jopt.state_dict()
    assert ts["param_groups"] == js["param_groups"]
    assert list(js["state"]) == [0, 1]
    st = js["state"][0]
    assert list(st) == ["step", "exp_avg", "exp_avg_sq"]
    assert st["step"].shape == () and st["step"].dtype == torchjax.float32
    assert float(st["step"]) == 1.0
    assert repr(topt) == repr(jopt)


def test_inplace_identity_version_and_grad_none_skipped():
    _, jp = _pair()
    opt = torchjax.optim.SGD(jp, lr=0.1)
    alias = jp[0].detach()
    v0, v1 = jp[0]._version, jp[1]._version
    jp[0].grad = torchjax.ones(3, 2)
    opt.step()
    assert jp[0]._version == v0 + 1 and jp[1]._version == v1
    np.testing.assert_allclose(np.asarray(alias), np.asarray(jp[0].detach()))
    assert isinstance(jp[0], torchjax.nn.Parameter) and jp[0].requires_grad
    assert not opt.state  # momentum 0 keeps no state, like torch
    opt.zero_grad()
    assert jp[0].grad is None
    jp[0].grad = torchjax.ones(3, 2)
    opt.zero_grad(set_to_none=False)
    assert float(jp[0].grad.abs().sum()) == 0.0


def test_one_jit_per_group_signature_lr_change_no_recompile():
    from torchjax.optim import optimizer as O
    _, jp = _pair()
    opt = torchjax.optim.Adam(jp, lr=0.1)
    jp[0].grad, jp[1].grad = torchjax.ones(3, 2), torchjax.ones(2)
    opt.step()
    f = O._jitted(torchjax.optim.Adam.apply_single, opt.static(opt.param_groups[0]))
    n = f._cache_size()
    for lr in (0.01, 0.02, 0.03):
        opt.param_groups[0]["lr"] = lr
        opt.step()
    assert f._cache_size() == n


def test_closure_and_loss():
    w = torchjax.nn.Parameter(torchjax.tensor([1.0, -2.0]))
    opt = torchjax.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    with torchjax.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_allclose(np.asarray(w.detach()), [0.8, -1.6], rtol=1e-6)


def test_param_group_errors_and_add_param_group():
    a, b = torchjax.nn.Parameter(torchjax.ones(2)), torchjax.nn.Parameter(torchjax.ones(3))
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "):
        torchjax.optim.SGD([{"params": [a]}, {"params": [a]}])
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        torchjax.optim.Adam([])
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an "):
        torchjax.optim.Adam(a)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torchjax.optim.Adam([a * 2])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        torchjax.optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero "):
        torchjax.optim.SGD([a], nesterov=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        torchjax.optim.SGD([a, a])
    assert any("duplicate parameters" in str(x.message) for x in w)
    opt = torchjax.optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="some parameters appear"):
        opt.add_param_group({"params": [b]})
    t = torch.optim.Adam([torch.nn.Parameter(torch.ones(2))], lr=0.1)
    t.add_param_group({"params": torch.nn.Parameter(torch.ones(3)), "lr": 0.5})
    assert repr(t) == repr(opt)


def test_lbfgs_strong_wolfe_matches_torch():
    tp, jp = _pair(((4,),))
    target = np.array([1.0, -2.0, 3.0, 0.5], np.float32)
    topt = torch.optim.LBFGS(tp, line_search_fn="strong_wolfe", max_iter=5)
    jopt = torchjax.optim.LBFGS(jp, line_search_fn="strong_wolfe", max_iter=5)

    def make(lib, opt, p):
        def closure():
            opt.zero_grad()
            loss = ((p[0] - lib.tensor(target)) ** 2 * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum()
            loss.backward()
            return loss
        return closure
    for _ in range(2):
        lt, lj = topt.step(make(torch, topt, tp)), jopt.step(make(torchjax, jopt, jp))
        np.testing.assert_allclose(float(lj.detach()), float(lt.detach()), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(jp[0].detach()), tp[0].detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    for k in ("n_iter", "func_evals"):
        assert jopt.state[jp[0]][k] == topt.state[tp[0]][k]


@pytest.mark.parametrize("name,kw", [("Adam", {"amsgrad": True}), ("SGD", {"momentum": 0.9}),
                                     ("Rprop", {}), ("Adagrad", {"initial_accumulator_value": 0.1}),
                                     ("RMSprop", {"centered": True}), ("ASGD", {})])
def test_complex_params_update_as_real_pairs(name, kw):
    rng = np.random.default_rng(0)
    v = (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64)
    tp, jp = [torch.nn.Parameter(torch.tensor(v))], [torchjax.nn.Parameter(torchjax.tensor(v))]
    to = getattr(torch.optim, name)(tp, lr=0.1, **kw)
    jo = getattr(torchjax.optim, name)(jp, lr=0.1, **kw)
    for _ in range(3):
        g = (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64)
        tp[0].grad, jp[0].grad = torch.tensor(g), torchjax.tensor(g)
        to.step()
        jo.step()
    _close(tp[0], jp[0])
    for (k, a), (k2, b) in zip(to.state[tp[0]].items(), jo.state[jp[0]].items()):
        assert k == k2 and str(a.dtype) == str(b.dtype)
        _close(a, b)


def test_float64_params_and_default_dtype_step():
    tp, jp = _pair()
    tp = [torch.nn.Parameter(p.detach().double()) for p in tp]
    jp = [torchjax.nn.Parameter(p.detach().double()) for p in jp]
    to, jo = torch.optim.Adam(tp, lr=0.1), torchjax.optim.Adam(jp, lr=0.1)
    rng = np.random.default_rng(1)
    for _ in range(2):
        for a, b in zip(tp, jp):
            g = rng.standard_normal(tuple(a.shape))
            a.grad, b.grad = torch.tensor(g), torchjax.tensor(g)
        to.step()
        jo.step()
    for a, b in zip(tp, jp):
        assert b.dtype == torchjax.float64
        np.testing.assert_allclose(np.asarray(b.detach()), a.detach().numpy(), rtol=1e-12)
    assert jo.state[jp[0]]["step"].dtype == torchjax.float32


@pytest.mark.parametrize("lib", [torch, torchjax])
def test_hooks_order_and_state_dict_hooks(lib):
    calls = []
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.1)
    mod = importlib.import_module(lib.__name__ + ".optim.optimizer")
    h0 = mod.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("gpre"))
    h1 = mod.register_optimizer_step_post_hook(lambda o, a, k: calls.append("gpost"))
    opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", a[0] is o, tuple(k))))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load_pre"))
    try:
        p.grad = lib.ones(2)
        opt.step()
        sd = opt.state_dict()
        lb = lib.optim.LBFGS([lib.nn.Parameter(lib.ones(1))])
        lb.register_step_pre_hook(lambda o, a, k: calls.append("lbfgs_pre"))
        lb.step(lambda: lib.tensor(0.0))
    finally:
        h0.remove()
        h1.remove()
    opt.load_state_dict(sd)
    assert sd["extra"] == 1
    assert calls == ["gpre", ("pre", True, ()), "post", "gpost", "gpre", "lbfgs_pre", "gpost",
                     "load_pre"]


def test_torch_saved_state_dict_loads_and_continues(tmp_path):
    tp = torch.nn.Parameter(torch.arange(4.0))
    to = torch.optim.AdamW([tp], lr=0.1, amsgrad=True)
    for i in range(3):
        tp.grad = torch.ones(4) * (i + 1)
        to.step()
    torch.save(to.state_dict(), tmp_path / "opt.pt")
    jp = torchjax.nn.Parameter(_tj(tp))
    jo = torchjax.optim.AdamW([jp], amsgrad=True)
    jo.load_state_dict(torchjax.load(tmp_path / "opt.pt"))
    for _ in range(2):
        tp.grad, jp.grad = torch.ones(4), torchjax.ones(4)
        to.step()
        jo.step()
    _close(tp, jp)
    assert float(jo.state[jp]["step"]) == 5.0


def test_differentiable_step_is_refused_not_ignored():
    p = torchjax.ones(2).requires_grad_(True) * 1
    opt = torchjax.optim.SGD([p], lr=0.1, differentiable=True)
    p.grad = torchjax.ones(2)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        opt.step()
