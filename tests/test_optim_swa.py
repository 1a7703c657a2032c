"""torch.optim.swa_utils vs real torch: AveragedModel, SWALR, update_bn, averaging functions."""
import math
import re
import warnings

import numpy as np
import pytest
import torch

import torchjax
from torchjax.optim import swa_utils as jswa
from torch.optim import swa_utils as tswa


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach())


def _close(a, b, what=""):
    assert str(a.dtype) == str(b.dtype), what
    np.testing.assert_allclose(_np(b), _np(a), rtol=1.3e-6, atol=1e-5, err_msg=what)


def _models(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                            torch.nn.Linear(4, 2))
    j = torchjax.nn.Sequential(torchjax.nn.Linear(3, 4), torchjax.nn.BatchNorm1d(4),
                               torchjax.nn.ReLU(), torchjax.nn.Linear(4, 2))
    j.load_state_dict({k: torchjax.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return t, j


def _train_step(t, j, rng):
    """A fake training step: new weights, and one forward in train mode (BatchNorm stats move)."""
    with torch.no_grad():
        for (_, a), (_, b) in zip(t.named_parameters(), j.named_parameters()):
            v = (_np(a) + 0.3 * rng.standard_normal(a.shape)).astype(np.float32)
            a.copy_(torch.tensor(v))
            b.detach().copy_(torchjax.tensor(v))
    x = rng.standard_normal((5, 3)).astype(np.float32)
    t(torch.tensor(x))
    j(torchjax.tensor(x))


def _compare_averaged(ta, ja, what):
    tsd, jsd = ta.state_dict(), ja.state_dict()
    assert list(tsd) == list(jsd), what
    for k in tsd:
        _close(tsd[k], jsd[k], f"{what} {k}")


AVG = {
    "default": lambda m: {},
    "ema_avg_fn": lambda m: {"avg_fn": m.get_ema_avg_fn(0.9)},
    "swa_avg_fn": lambda m: {"avg_fn": m.get_swa_avg_fn()},
    "ema_multi": lambda m: {"multi_avg_fn": m.get_ema_multi_avg_fn(0.8)},
    "swa_multi": lambda m: {"multi_avg_fn": m.get_swa_multi_avg_fn()},
    "custom_avg_fn": lambda m: {"avg_fn": lambda a, c, n: a * 0.5 + c * 0.5 + n * 0.01},
}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", list(AVG))
def test_averaged_model_updates(kind, use_buffers):
    t, j = _models()
    ta = tswa.AveragedModel(t, use_buffers=use_buffers, **AVG[kind](tswa))
    ja = jswa.AveragedModel(j, use_buffers=use_buffers, **AVG[kind](jswa))
    assert repr(ta) == repr(ja)
    _compare_averaged(ta, ja, "initial")
    rng = np.random.default_rng(1)
    for i in range(4):
        _train_step(t, j, rng)
        try:
            ta.update_parameters(t)
        except RuntimeError as e:  # swa_multi on integer buffers: torch's addcdiv error
            with pytest.raises(RuntimeError, match=re.escape(str(e))):
                ja.update_parameters(j)
            return
        ja.update_parameters(j)
        assert int(ta.n_averaged) == int(ja.n_averaged) == i + 1
        assert ja.n_averaged.dtype == torchjax.int64
        _compare_averaged(ta, ja, f"after update {i}")
    # the averaged model runs forward like the copy it holds
    x = rng.standard_normal((2, 3)).astype(np.float32)
    ta.eval()
    ja.eval()
    _close(ta(torch.tensor(x)), ja(torchjax.tensor(x)), "forward")


def test_averaged_model_is_a_copy_and_state_dict_roundtrip():
    t, j = _models()
    ja = jswa.AveragedModel(j)
    assert ja.module is not j and ja.module[0].weight is not j[0].weight
    ta = tswa.AveragedModel(t)
    rng = np.random.default_rng(2)
    for _ in range(2):
        _train_step(t, j, rng)
        ta.update_parameters(t)
        ja.update_parameters(j)
    # load torch's averaged state into a fresh torchjax AveragedModel
    fresh = jswa.AveragedModel(_models(5)[1])
    fresh.load_state_dict({k: torchjax.tensor(v.numpy()) for k, v in ta.state_dict().items()})
    _compare_averaged(ta, fresh, "loaded")
    assert int(fresh.n_averaged) == 2
    assert [n for n, _ in ja.named_buffers()][0] == "n_averaged"


def test_averaged_model_errors():
    _, j = _models()
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be "
                                             "provided"):
        jswa.AveragedModel(j, avg_fn=jswa.get_swa_avg_fn(),
                           multi_avg_fn=jswa.get_swa_multi_avg_fn())
    for name in ("get_ema_avg_fn", "get_ema_multi_avg_fn"):
        for d in (1.5, -0.1):
            with pytest.raises(ValueError) as te:
                getattr(tswa, name)(d)
            with pytest.raises(ValueError, match=re.escape(str(te.value))):
                getattr(jswa, name)(d)


def test_avg_fns_directly():
    rng = np.random.default_rng(3)
    a, c = (rng.standard_normal((3, 2)).astype(np.float32) for _ in range(2))
    for n in (1, 4):
        for name, args in (("get_ema_avg_fn", (0.7,)), ("get_swa_avg_fn", ())):
            r = getattr(tswa, name)(*args)(torch.tensor(a), torch.tensor(c), torch.tensor(n))
            s = getattr(jswa, name)(*args)(torchjax.tensor(a), torchjax.tensor(c),
                                           torchjax.tensor(n))
            _close(r, s, name)
        for name, args in (("get_ema_multi_avg_fn", (0.7,)), ("get_swa_multi_avg_fn", ())):
            ta, tc = [torch.tensor(a), torch.tensor(c)], [torch.tensor(c), torch.tensor(a)]
            ja, jc = [torchjax.tensor(a), torchjax.tensor(c)], [torchjax.tensor(c),
                                                                  torchjax.tensor(a)]
            getattr(tswa, name)(*args)(ta, tc, n)  # plain int count: the float-weight path
            getattr(jswa, name)(*args)(ja, jc, n)
            for x, y in zip(ta, ja):
                _close(x, y, name)
    # integer tensors: swa's add_ with a float alpha is torch's error, ema truncates
    ti, ji = [torch.tensor([3, 8])], [torchjax.tensor([3, 8])]
    with pytest.raises(RuntimeError) as te:
        tswa.get_swa_multi_avg_fn()(ti, [torch.tensor([9, 1])], 2)
    with pytest.raises(RuntimeError, match=re.escape(str(te.value))):
        jswa.get_swa_multi_avg_fn()(ji, [torchjax.tensor([9, 1])], 2)
    tswa.get_ema_multi_avg_fn(0.5)(ti, [torch.tensor([1, 2])], 0)
    jswa.get_ema_multi_avg_fn(0.5)(ji, [torchjax.tensor([1, 2])], 0)
    assert ti[0].tolist() == ji[0].tolist() and ji[0].dtype == torchjax.int64


def _bn_model(lib):
    torch.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4, momentum=0.3),
                          lib.nn.Linear(4, 4), lib.nn.BatchNorm1d(4))
    return m


@pytest.mark.parametrize("tupled", [False, True])
def test_update_bn(tupled):
    t, j = _bn_model(torch), _bn_model(torchjax)
    j.load_state_dict({k: torchjax.tensor(v.numpy()) for k, v in t.state_dict().items()})
    t.eval()
    j.eval()
    rng = np.random.default_rng(4)
    xs = [rng.standard_normal((6, 3)).astype(np.float32) for _ in range(3)]
    tl = [(torch.tensor(x), torch.zeros(6)) if tupled else torch.tensor(x) for x in xs]
    jl = [(torchjax.tensor(x), torchjax.zeros(6)) if tupled else torchjax.tensor(x) for x in xs]
    tswa.update_bn(tl, t)
    jswa.update_bn(jl, j)
    assert not j.training and j[1].momentum == 0.3 and j[3].momentum == 0.1
    for (k, a), (k2, b) in zip(t.state_dict().items(), j.state_dict().items()):
        assert k == k2
        _close(a, b, k)
    # through an AveragedModel, with device given, as in torch's docs
    ta, ja = tswa.AveragedModel(t), jswa.AveragedModel(j)
    tswa.update_bn(tl[:2], ta, device="cpu")
    jswa.update_bn(jl[:2], ja, device="cpu")
    _compare_averaged(ta, ja, "update_bn on AveragedModel")
    # no BatchNorm: nothing happens
    lin = torchjax.nn.Linear(3, 2)
    assert jswa.update_bn(jl, lin) is None


def _opts(lr_tensor=False):
    tp = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    jp = [torchjax.nn.Parameter(torchjax.ones(2)), torchjax.nn.Parameter(torchjax.ones(3))]
    to = torch.optim.SGD([{"params": tp[:1]}, {"params": tp[1:], "lr": 0.05}], lr=0.1)
    jo = torchjax.optim.SGD([{"params": jp[:1]}, {"params": jp[1:], "lr": 0.05}], lr=0.1)
    return to, jo


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 3])
@pytest.mark.parametrize("swa_lr", [0.01, [0.02, 0.5]])
def test_swalr_schedule(strategy, anneal_epochs, swa_lr):
    to, jo = _opts()
    ts = tswa.SWALR(to, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    js = jswa.SWALR(jo, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    for i in range(6):
        assert [g["swa_lr"] for g in jo.param_groups] == [g["swa_lr"] for g in to.param_groups]
        np.testing.assert_allclose(js.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
        np.testing.assert_allclose([g["lr"] for g in jo.param_groups],
                                   [g["lr"] for g in to.param_groups], rtol=1e-12)
        to.step()
        jo.step()
        ts.step()
        js.step()
    tsd, jsd = ts.state_dict(), js.state_dict()
    assert sorted(tsd) == sorted(jsd)
    for k in tsd:
        if isinstance(tsd[k], (float, list)):
            assert tsd[k] == pytest.approx(jsd[k], rel=1e-12), k
        else:
            assert tsd[k] == jsd[k], k
    # state_dict round trip restores the annealing function
    to2, jo2 = _opts()
    js2 = jswa.SWALR(jo2, swa_lr=0.3, anneal_strategy="linear" if strategy == "cos" else "cos")
    js2.load_state_dict(jsd)
    assert js2.anneal_func is (jswa.SWALR._cosine_anneal if strategy == "cos"
                               else jswa.SWALR._linear_anneal)


def test_swalr_after_another_scheduler_and_warning():
    to, jo = _opts()
    tc = torch.optim.lr_scheduler.CosineAnnealingLR(to, T_max=5)
    jc = torchjax.optim.lr_scheduler.CosineAnnealingLR(jo, T_max=5)
    for _ in range(3):
        to.step(), jo.step(), tc.step(), jc.step()
    ts, js = tswa.SWALR(to, swa_lr=0.02, anneal_epochs=2), jswa.SWALR(jo, swa_lr=0.02,
                                                                      anneal_epochs=2)
    for _ in range(4):
        to.step(), jo.step(), ts.step(), js.step()
        np.testing.assert_allclose(js.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        np.testing.assert_allclose(js.get_lr(), ts.get_lr(), rtol=1e-12)
    msgs = [str(x.message) for x in w]
    assert len(msgs) == 2 and msgs[0] == msgs[1]


def test_swalr_errors():
    for kwargs in ({"swa_lr": 0.1, "anneal_strategy": "exp"},
                   {"swa_lr": 0.1, "anneal_epochs": -1},
                   {"swa_lr": 0.1, "anneal_epochs": 1.5},
                   {"swa_lr": [0.1, 0.2, 0.3]}):
        to, jo = _opts()
        with pytest.raises(Exception) as te:
            tswa.SWALR(to, **kwargs)
        with pytest.raises(type(te.value), match=re.escape(str(te.value))):
            jswa.SWALR(jo, **kwargs)


def test_import_paths():
    assert torchjax.optim.swa_utils is jswa
    assert sorted(jswa.__all__) == sorted(tswa.__all__)
    assert math.isclose(jswa.SWALR._cosine_anneal(0.25), tswa.SWALR._cosine_anneal(0.25))


def test_swalr_tensor_lr():
    to = torch.optim.SGD([torch.nn.Parameter(torch.ones(2))], lr=torch.tensor(0.1))
    jo = torchjax.optim.SGD([torchjax.nn.Parameter(torchjax.ones(2))], lr=torchjax.tensor(0.1))
    ts = tswa.SWALR(to, swa_lr=torch.tensor(0.01), anneal_epochs=3, anneal_strategy="linear")
    js = jswa.SWALR(jo, swa_lr=torchjax.tensor(0.01), anneal_epochs=3, anneal_strategy="linear")
    for _ in range(4):
        to.step(), jo.step(), ts.step(), js.step()
        (a,), (b,) = ts.get_last_lr(), js.get_last_lr()
        assert isinstance(b, torchjax.Tensor)
        _close(a, b, "lr")
        _close(to.param_groups[0]["lr"], jo.param_groups[0]["lr"], "group lr")
