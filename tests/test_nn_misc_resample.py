"""F.interpolate / Upsample* and F.embedding_bag / nn.EmbeddingBag against real torch."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchjax as tj
import torchjax.nn.functional as TF
from tests.test_nn_misc import _compare, _same_error, _x

RNG_U8 = np.random.default_rng(7)

INTERP = [("nearest", 3), ("nearest", 4), ("nearest", 5), ("nearest-exact", 3),
          ("nearest-exact", 4), ("linear", 3), ("bilinear", 4), ("bicubic", 4),
          ("trilinear", 5), ("area", 3), ("area", 4)]
SIZES = {3: [dict(size=1), dict(size=7), dict(scale_factor=1.3), dict(scale_factor=0.5)],
         5: [dict(size=10), dict(scale_factor=2.1), dict(scale_factor=1.7,
                                                          recompute_scale_factor=True)]}


@pytest.mark.parametrize("mode,nd", INTERP)
def test_interpolate(mode, nd):
    for insz in (3, 5):
        x = _x(2, 2, *(insz,) * (nd - 2))
        acs = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
        for kw in SIZES[insz]:
            for ac in acs:
                _compare(lambda t: F.interpolate(t, mode=mode, align_corners=ac, **kw),
                         lambda t: TF.interpolate(t, mode=mode, align_corners=ac, **kw), x)


def test_interpolate_mixed_sizes_and_dtypes():
    x = _x(1, 2, 3, 5)
    for mode in ("nearest", "bilinear", "bicubic"):
        _compare(lambda t: F.interpolate(t, scale_factor=(1.3, 1.5), mode=mode),
                 lambda t: TF.interpolate(t, scale_factor=(1.3, 1.5), mode=mode), x)
        _compare(lambda t: F.interpolate(t, size=(4, 9), mode=mode),
                 lambda t: TF.interpolate(t, size=(4, 9), mode=mode), x)
    _compare(lambda t: F.interpolate(t, size=(4, 9), mode="bilinear"),
             lambda t: TF.interpolate(t, size=(4, 9), mode="bilinear"), x.astype(np.float64))
    for dt in (np.uint8, np.float16):
        _compare(lambda t: F.interpolate(t, size=7), lambda t: TF.interpolate(t, size=7),
                 np.arange(12).reshape(1, 2, 6).astype(dt), grad=False)
    _compare(lambda t: F.interpolate(t, size=(4, 7), mode="bilinear"),
             lambda t: TF.interpolate(t, size=(4, 7), mode="bilinear"), x.astype(np.float16),
             grad=False, atol=2e-3, rtol=2e-3)


INTERP_ERRORS = [
    ((1, 2, 5), dict(size=0)), ((1, 2, 5, 4), dict(size=(0, 3))),
    ((1, 2, 5, 4), dict(scale_factor=0.1, mode="bilinear")),
    ((1, 1, 3, 4, 5), dict(scale_factor=0.1, mode="trilinear")),
    ((1, 2, 5, 4), dict(size=(2, 3), align_corners=True)),
    ((1, 2, 5, 4), dict(size=(2, 3), scale_factor=2)), ((1, 2, 5, 4), dict()),
    ((1, 2, 5, 4), dict(size=(2,))), ((1, 2, 5, 4), dict(size=(2, 3.0))),
    ((1, 2, 5, 4), dict(scale_factor=(2,))),
    ((1, 2, 5, 4), dict(size=(2, 3), recompute_scale_factor=True)),
    ((1, 2, 5, 4), dict(size=(2, 3), antialias=True)),
    ((1, 2, 5, 4), dict(size=(2, 3), mode="linear")), ((2, 3), dict(size=(2, 3))),
    ((2, 3, 4), dict(size=(3,), mode="foo")), ((2, 3, 4), dict(size=(3,), mode="bicubic")),
    ((1, 0, 12), dict(size=(5,), mode="linear")), ((1, 2, 0), dict(size=(5,))),
]


@pytest.mark.parametrize("shape,kw", INTERP_ERRORS)
def test_interpolate_errors(shape, kw):
    _same_error(lambda: F.interpolate(torch.zeros(shape), **kw),
                lambda: TF.interpolate(tj.zeros(shape), **kw))


@pytest.mark.parametrize("mode,nd,dt", [("linear", 3, "long"), ("nearest", 4, "int32"),
                                        ("nearest", 3, "bool"), ("bicubic", 4, "long"),
                                        ("trilinear", 5, "uint8"), ("bilinear", 4, "long")])
def test_interpolate_int_errors(mode, nd, dt):
    shape, size = (1, 2) + (3,) * (nd - 2), (5,) * (nd - 2)
    _same_error(lambda: F.interpolate(torch.zeros(shape, dtype=getattr(torch, dt)), size=size,
                                      mode=mode),
                lambda: TF.interpolate(tj.zeros(shape, dtype=getattr(tj, dt)), size=size,
                                       mode=mode))


AA_CASES = [  # (kwargs, align_corners)
    (dict(size=(4, 5)), False), (dict(size=(11, 13)), True), (dict(size=(1, 1)), True),
    (dict(scale_factor=(1.7, 0.6)), True),
    (dict(scale_factor=0.45, recompute_scale_factor=True), False),
    (dict(scale_factor=1.1), False),  # the forward copies the same size, the grad does not
    (dict(size=(3, 1)), False),  # torch repeats the first row of a width-1 output
]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_interpolate_antialias(mode, dt):
    x = _x(2, 2, 7, 5, dtype=dt)
    for kw, ac in AA_CASES if dt == np.float32 else AA_CASES[:2]:
        ac = ac and mode != "lanczos"
        _compare(lambda t: F.interpolate(t, mode=mode, align_corners=ac, antialias=True, **kw),
                 lambda t: TF.interpolate(t, mode=mode, align_corners=ac, antialias=True, **kw), x)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_interpolate_antialias_uint8(mode):
    # int16 fixed-point weights, rounded uint8 after each axis; 3 channels run torch's AVX kernel,
    # 5 its generic one
    for c in (3, 5):
        x = RNG_U8.integers(0, 256, (1, c, 9, 8)).astype(np.uint8)
        for size in ((4, 3), (13, 17), (5, 1), (9, 2)):
            _compare(lambda t: F.interpolate(t, size=size, mode=mode, antialias=True),
                     lambda t: TF.interpolate(t, size=size, mode=mode, antialias=True), x,
                     grad=False, atol=0, rtol=0)


AA_ERRORS = [
    ((1, 2, 5, 4), "float16", dict(size=(2, 3), mode="bilinear", antialias=True)),
    ((1, 2, 5, 4), "int64", dict(size=(5, 3), mode="lanczos", antialias=True)),
    ((1, 3, 5, 4), "uint8", dict(size=(1, 1), mode="bicubic", antialias=True)),
    ((1, 2, 5, 4), "float32", dict(size=(2, 3), mode="lanczos")),
    ((1, 2, 5, 4), "float32", dict(size=(2, 3), mode="lanczos", align_corners=True)),
    ((1, 2, 5), "float32", dict(size=(2,), mode="lanczos")),
    ((1, 2, 5), "float32", dict(size=(2,), mode="bilinear", antialias=True)),
    ((1, 0, 5, 4), "float32", dict(size=(2, 3), mode="bicubic", antialias=True)),
    ((1, 2, 5, 4), "float32", dict(scale_factor=0.1, mode="lanczos", antialias=True)),
]


@pytest.mark.parametrize("shape,dt,kw", AA_ERRORS)
def test_interpolate_antialias_errors(shape, dt, kw):
    _same_error(lambda: F.interpolate(torch.zeros(shape, dtype=getattr(torch, dt)), **kw),
                lambda: TF.interpolate(tj.zeros(shape, dtype=getattr(tj, dt)), **kw))


def test_interpolate_antialias_same_size_any_dtype():
    for dt in ("float16", "int64"):  # an unchanged shape is copied before the dtype check
        _compare(lambda t: F.interpolate(t, size=(3, 4), mode="lanczos", antialias=True),
                 lambda t: TF.interpolate(t, size=(3, 4), mode="lanczos", antialias=True),
                 np.arange(24).reshape(1, 2, 3, 4).astype(dt), grad=False)


def test_upsample_modules():
    x = _x(1, 2, 3, 4)
    for args, kw in ((((5, 6),), dict(mode="bilinear")), ((), dict(scale_factor=2)),
                     ((), dict(scale_factor=(1.5, 2.0), mode="bicubic", align_corners=True)),
                     ((7,), dict(mode="nearest-exact"))):
        ma, mb = torch.nn.Upsample(*args, **kw), tj.nn.Upsample(*args, **kw)
        assert repr(mb) == repr(ma)
        _compare(ma, mb, x)
    for cls, kw in (("UpsamplingNearest2d", dict(scale_factor=2)),
                    ("UpsamplingBilinear2d", dict(size=(5, 7)))):
        ma, mb = getattr(torch.nn, cls)(**kw), getattr(tj.nn, cls)(**kw)
        assert repr(mb) == repr(ma)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _compare(ma, mb, x)


def test_upsample_functions_warn():
    x = _x(1, 1, 2, 3)
    for name in ("upsample", "upsample_nearest", "upsample_bilinear"):
        with pytest.warns(UserWarning, match="is deprecated"):
            rb = getattr(TF, name)(tj.tensor(x), scale_factor=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ra = getattr(F, name)(torch.tensor(x), scale_factor=2)
        np.testing.assert_allclose(rb.numpy(), ra.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- embedding_bag

IDX = np.array([1, 2, 3, 4, 5, 2, 2, 0])
BAG_CASES = [(IDX, [0, 2, 2, 5], {}), (IDX, [0, 3, 8], dict(include_last_offset=True)),
             (IDX.reshape(2, 4), None, {})]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("extra", [{}, dict(padding_idx=2), dict(padding_idx=-5),
                                   dict(psw=True), dict(scale_grad_by_freq=True),
                                   dict(scale_grad_by_freq=True, padding_idx=2),
                                   dict(scale_grad_by_freq=True, psw=True)])
def test_embedding_bag(mode, extra):
    """scale_grad_by_freq reproduces torch's CPU backward, which scales the u-th distinct index
    by the count of sorted_indices[u] rather than by its own count."""
    if ("psw" in extra or "scale_grad_by_freq" in extra) and mode != "sum" and not (
            "psw" not in extra and mode == "mean"):
        return
    for idx, off, kw in BAG_CASES:
        args = [_x(7, 3)] + ([_x(*idx.shape)] if "psw" in extra else [])
        pad = {k: v for k, v in extra.items() if k != "psw"}

        def run(f, T):
            def g(w, *p):
                o = None if off is None else T.tensor(off)
                return f(T.tensor(idx), w, o, mode=mode, per_sample_weights=p[0] if p else None,
                         **pad, **kw)
            return g
        _compare(run(F.embedding_bag, torch), run(TF.embedding_bag, tj), *args)


def test_embedding_bag_errors():
    w = _x(6, 2)
    cases = [([1, 2, 3], [1, 2], {}), ([1, 2, 3], [0, 6], {}), ([1, 6], [0], {}),
             ([1, -1], [0], {}), ([1, 2], [0], dict(mode="foo")),
             ([1, 2], [0], dict(mode="mean", per_sample_weights=True)), ([1, 2], None, {}),
             ([1, 2], [0], dict(mode="max", scale_grad_by_freq=True)),
             ([1, 5], [0], dict(padding_idx=6)), ([1, 5], [0], dict(padding_idx=-7))]
    for idx, off, kw in cases:
        def run(f, T):
            k = dict(kw)
            if k.pop("per_sample_weights", None):
                k["per_sample_weights"] = T.ones(len(idx))
            return lambda: f(T.tensor(idx), T.tensor(w), None if off is None else T.tensor(off),
                             **k)
        _same_error(run(F.embedding_bag, torch), run(TF.embedding_bag, tj))
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        TF.embedding_bag(tj.tensor([[1, 2]]), tj.tensor(w), tj.tensor([0]))


def test_embedding_bag_module():
    torch.manual_seed(0)
    ma = torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=1, max_norm=1.5)
    tj.manual_seed(0)
    mb = tj.nn.EmbeddingBag(10, 3, mode="max", padding_idx=1, max_norm=1.5)
    assert repr(mb) == repr(ma)
    np.testing.assert_array_equal(mb.weight.detach().numpy(), ma.weight.detach().numpy())
    idx, off = np.array([1, 4, 3, 9, 1, 0]), np.array([0, 3])
    ra, rb = ma(torch.tensor(idx), torch.tensor(off)), mb(tj.tensor(idx), tj.tensor(off))
    np.testing.assert_allclose(rb.detach().numpy(), ra.detach().numpy(), rtol=1e-6)
    ra.sum().backward()
    rb.sum().backward()
    np.testing.assert_allclose(mb.weight.grad.numpy(), ma.weight.grad.numpy(), rtol=1e-6)
    w = _x(4, 2)
    ma = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="sum")
    mb = tj.nn.EmbeddingBag.from_pretrained(tj.tensor(w), mode="sum")
    assert repr(mb) == repr(ma) and mb.weight.requires_grad == ma.weight.requires_grad
