"""nn.functional padding / embedding / one_hot / normalize / shuffles and their modules,
compared against real torch (values, grads, grad_fn names, errors, reprs, default init)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchjax as tj
import torchjax.nn.functional as TF

RNG = np.random.default_rng(0)


def _pair(x, requires_grad=True):
    return (torch.tensor(x, requires_grad=requires_grad),
            tj.tensor(x, requires_grad=requires_grad))


def _compare(fa, fb, *xs, grad=True, atol=1e-5, rtol=1.3e-6):
    """Run fa on torch tensors and fb on torchjax tensors built from the numpy arrays xs;
    compare values, dtype, grad_fn name and (for float inputs) input gradients."""
    ta = [torch.tensor(x, requires_grad=grad and x.dtype.kind == "f") for x in xs]
    tb = [tj.tensor(x, requires_grad=grad and x.dtype.kind == "f") for x in xs]
    ra, rb = fa(*ta), fb(*tb)
    assert tuple(ra.shape) == tuple(rb.shape)
    assert str(ra.dtype) == str(rb.dtype)
    np.testing.assert_allclose(rb.detach().numpy(), ra.detach().numpy(), atol=atol, rtol=rtol)
    if grad and ra.requires_grad:
        assert rb.grad_fn.name() == ra.grad_fn.name()
        g = RNG.standard_normal(tuple(ra.shape)).astype(np.float32)
        ra.backward(torch.tensor(g, dtype=ra.dtype))
        rb.backward(tj.tensor(g, dtype=rb.dtype))
        for a, b in zip(ta, tb):
            if a.requires_grad:
                np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=atol, rtol=rtol)
    return ra, rb


def _same_error(fa, fb):
    with pytest.raises(Exception) as ea:
        fa()
    with pytest.raises(Exception) as eb:
        fb()
    assert type(eb.value) is type(ea.value), (eb.value, ea.value)
    assert str(eb.value) == str(ea.value)


def _x(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- F.pad

PAD_CASES = [
    ("constant", (2, 3, 4), (1, 2)), ("constant", (2, 3, 4), (-1, 2, 0, 1, 1, 0)),
    ("constant", (2, 3, 4), (-3, 0)), ("constant", (1, 2, 3, 4), (-1, -1, 0, 0)),
    ("reflect", (2, 3, 4), (1, 3)), ("reflect", (3, 4), (2, -1)),
    ("reflect", (1, 2, 3, 4), (1, 2, 2, 0)), ("reflect", (2, 3, 4), (-1, 2, 1, -1)),
    ("reflect", (1, 2, 3, 4, 5), (1, 0, 2, 1, 1, 2)),
    ("replicate", (2, 3, 4), (5, 1)), ("replicate", (1, 2, 3, 4), (-2, 3, 1, 4)),
    ("replicate", (2, 2, 3, 4), (1, 1, 0, 2, 3, 0)),
    ("circular", (2, 3, 4), (4, 2)), ("circular", (1, 2, 3, 4), (1, 2, 3, 0)),
    ("circular", (2, 3, 4), (-1, 3)), ("circular", (1, 2, 3, 4), (-2, 1, 1, -1)),
    ("circular", (1, 1, 2, 3, 4), (1, 1, 2, 0, 1, 2)),
]


@pytest.mark.parametrize("mode,shape,pad", PAD_CASES)
def test_pad(mode, shape, pad):
    _compare(lambda t: F.pad(t, pad, mode=mode), lambda t: TF.pad(t, pad, mode=mode), _x(*shape))


def test_pad_value_and_dtypes():
    _compare(lambda t: F.pad(t, (1, 2), value=2.5), lambda t: TF.pad(t, (1, 2), value=2.5),
             _x(2, 3))
    i = np.arange(6).reshape(2, 3)
    _compare(lambda t: F.pad(t, (1, 1), value=2.5), lambda t: TF.pad(t, (1, 1), value=2.5), i)
    _compare(lambda t: F.pad(t, (1, 1), mode="reflect"),
             lambda t: TF.pad(t, (1, 1), mode="reflect"), i)
    _compare(lambda t: F.pad(t, (2, 1), mode="circular"),
             lambda t: TF.pad(t, (2, 1), mode="circular"), i > 2)
    _compare(lambda t: F.pad(t, (1, 1), value=1), lambda t: TF.pad(t, (1, 1), value=1), i > 2)
    _compare(lambda t: torch.constant_pad_nd(t, (1, 1), 3.0),
             lambda t: tj.constant_pad_nd(t, (1, 1), 3.0), _x(2, 3))


PAD_ERRORS = [
    ((1, 2, 3), (1,), "constant"), ((1, 2, 3), (1,) * 8, "constant"),
    ((1, 2, 3), (1, 1), "foo"), ((1, 2, 3), (3, 3), "reflect"),
    ((1, 2, 3, 4), (4, 1, 1, 1), "reflect"), ((1, 2, 3, 4), (1, 1, 3, 1), "reflect"),
    ((1, 1, 2, 3, 4), (1, 1, 1, 1, 2, 1), "reflect"), ((1, 2, 3), (-2, -2), "replicate"),
    ((1, 2, 3, 4), (-2, -2, -2, -1), "reflect"), ((1, 2, 3, 4), (-2, -2, -2, -1), "replicate"),
    ((1, 2, 3, 4), (-3, -2, 1, 1), "replicate"), ((1, 2, 3), (4, 4), "circular"),
    ((1, 2, 3, 4), (-4, -1, 1, 1), "circular"), ((3,), (1, 1), "reflect"),
    ((1, 2, 3, 4), (1, 1), "replicate"), ((0, 4), (1, 1), "reflect"),
    ((2, 0, 3, 3), (1, 1, 1, 1), "replicate"), ((1, 2, 3), (-2, -2), "constant"),
    ((1, 4), (2, -3), "circular"),
]


@pytest.mark.parametrize("shape,pad,mode", PAD_ERRORS)
def test_pad_errors(shape, pad, mode):
    x = _x(*shape)
    _same_error(lambda: F.pad(torch.tensor(x), pad, mode=mode),
                lambda: TF.pad(tj.tensor(x), pad, mode=mode))


def test_pad_errors_misc():
    _same_error(lambda: F.pad(torch.zeros(2, 3), (1, 1), mode="reflect", value=1.0),
                lambda: TF.pad(tj.zeros(2, 3), (1, 1), mode="reflect", value=1.0))
    _same_error(lambda: F.pad(torch.ones(2, 3, dtype=torch.bool), (1, 1), mode="replicate"),
                lambda: TF.pad(tj.ones(2, 3, dtype=tj.bool), (1, 1), mode="replicate"))


PAD_MODULES = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 0, 2, 1),), (1, 2, 3, 4)),
    ("ZeroPad3d", (1,), (1, 1, 2, 3, 4)), ("ConstantPad1d", ((3, 1), 3.5), (2, 3, 4)),
    ("ConstantPad2d", (1, -1.0), (2, 3, 4)), ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 2.0),
                                              (1, 2, 3, 4)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 0, 2, 1),), (1, 2, 3, 4)),
    ("ReflectionPad3d", (1,), (1, 1, 2, 3, 4)), ("ReplicationPad1d", ((3, 1),), (2, 3, 4)),
    ("ReplicationPad2d", (2,), (2, 3, 4)), ("ReplicationPad3d", ((1, 0, 0, 1, 2, 0),),
                                            (1, 2, 3, 4)),
    ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 0, 2, 1),), (1, 2, 3, 4)),
    ("CircularPad3d", (1,), (1, 1, 2, 3, 4)),
]


@pytest.mark.parametrize("name,args,shape", PAD_MODULES)
def test_pad_modules(name, args, shape):
    ma, mb = getattr(torch.nn, name)(*args), getattr(tj.nn, name)(*args)
    assert repr(mb) == repr(ma)
    assert mb.padding == ma.padding
    _compare(ma, mb, _x(*shape))


def test_circular_pad_module_dim_error():
    _same_error(lambda: torch.nn.CircularPad2d(1)(torch.zeros(3, 3)),
                lambda: tj.nn.CircularPad2d(1)(tj.zeros(3, 3)))


# ---------------------------------------------------------------- embedding

EMB_KW = [{}, dict(padding_idx=1), dict(padding_idx=-1, scale_grad_by_freq=True),
          dict(scale_grad_by_freq=True)]


@pytest.mark.parametrize("kw", EMB_KW)
def test_embedding(kw):
    w, idx = _x(6, 3), np.array([[1, 2, 1], [5, 0, 2]])
    _compare(lambda i, t: F.embedding(i, t, **kw), lambda i, t: TF.embedding(i, t, **kw),
             idx, w)
    _compare(lambda i, t: F.embedding(i, t, **kw), lambda i, t: TF.embedding(i, t, **kw),
             idx.astype(np.int32), w)


@pytest.mark.parametrize("kw", [dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0)])
def test_embedding_max_norm(kw):
    w, idx = _x(6, 3), np.array([1, 2, 1, 4])
    a, b = _pair(w)
    ra, rb = F.embedding(torch.tensor(idx), a, **kw), TF.embedding(tj.tensor(idx), b, **kw)
    np.testing.assert_allclose(rb.detach().numpy(), ra.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6)  # renormed
    assert b._version == a._version == 1


def test_embedding_errors():
    w = _x(5, 3)
    for idx in ([1, 5], [1, -1]):
        _same_error(lambda: F.embedding(torch.tensor(idx), torch.tensor(w)),
                    lambda: TF.embedding(tj.tensor(idx), tj.tensor(w)))
    for dt in ("float32", "int16"):
        _same_error(lambda: F.embedding(torch.tensor([1, 2], dtype=getattr(torch, dt)),
                                        torch.tensor(w)),
                    lambda: TF.embedding(tj.tensor([1, 2], dtype=getattr(tj, dt)), tj.tensor(w)))
    for p in (5, -6):
        _same_error(lambda: F.embedding(torch.tensor([1]), torch.tensor(w), padding_idx=p),
                    lambda: TF.embedding(tj.tensor([1]), tj.tensor(w), padding_idx=p))
    _same_error(lambda: F.embedding(torch.tensor([1]), torch.zeros(5)),
                lambda: TF.embedding(tj.tensor([1]), tj.zeros(5)))


def test_embedding_module():
    torch.manual_seed(0)
    ma = torch.nn.Embedding(10, 4, padding_idx=2, max_norm=2.0, scale_grad_by_freq=True)
    tj.manual_seed(0)
    mb = tj.nn.Embedding(10, 4, padding_idx=2, max_norm=2.0, scale_grad_by_freq=True)
    assert repr(mb) == repr(ma)
    np.testing.assert_array_equal(mb.weight.detach().numpy(), ma.weight.detach().numpy())
    idx = np.array([[2, 3, 3], [9, 0, 2]])
    ra, rb = ma(torch.tensor(idx)), mb(tj.tensor(idx))
    np.testing.assert_allclose(rb.detach().numpy(), ra.detach().numpy(), rtol=1e-6)
    ra.sum().backward()
    rb.sum().backward()
    np.testing.assert_allclose(mb.weight.grad.numpy(), ma.weight.grad.numpy(), rtol=1e-6)
    for kw in (dict(), dict(padding_idx=-1, norm_type=1.0, sparse=True)):
        assert repr(tj.nn.Embedding(3, 2, **kw)) == repr(torch.nn.Embedding(3, 2, **kw))


def test_embedding_from_pretrained():
    w = _x(4, 3)
    for freeze in (True, False):
        ma = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, padding_idx=1)
        mb = tj.nn.Embedding.from_pretrained(tj.tensor(w), freeze=freeze, padding_idx=1)
        assert mb.weight.requires_grad == ma.weight.requires_grad
        assert repr(mb) == repr(ma)
        np.testing.assert_array_equal(mb.weight.detach().numpy(), w)  # padding row kept
    _same_error(lambda: torch.nn.Embedding.from_pretrained(torch.zeros(3)),
                lambda: tj.nn.Embedding.from_pretrained(tj.zeros(3)))


# ---------------------------------------------------------------- one_hot, normalize

def test_one_hot():
    for args in (([0, 3, 1],), ([[0, 3], [1, 1]], 5), ([], 3), (2, 4)):
        a = F.one_hot(torch.tensor(args[0], dtype=torch.long), *args[1:])
        b = TF.one_hot(tj.tensor(args[0], dtype=tj.long), *args[1:])
        assert b.dtype == tj.int64 and tuple(b.shape) == tuple(a.shape)
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    for args in (([1., 2.],), ([1, -2],), ([1, 5], 3), ([],), ([1, 2], -2)):
        dt = "float32" if args[0] == [1., 2.] else "long"
        _same_error(lambda: F.one_hot(torch.tensor(args[0], dtype=getattr(torch, dt)), *args[1:]),
                    lambda: TF.one_hot(tj.tensor(args[0], dtype=getattr(tj, dt)), *args[1:]))


@pytest.mark.parametrize("kw", [{}, dict(p=1.0, dim=0), dict(dim=-1, eps=0.5)])
def test_normalize(kw):
    x = _x(3, 4)
    x[1] = 0
    _compare(lambda t: F.normalize(t, **kw), lambda t: TF.normalize(t, **kw), x)


def test_normalize_int_error():
    _same_error(lambda: F.normalize(torch.tensor([1, 2])), lambda: TF.normalize(tj.tensor([1, 2])))


# ---------------------------------------------------------------- pixel / channel shuffle

def test_pixel_shuffle():
    x = _x(2, 8, 3, 4)
    _compare(lambda t: F.pixel_shuffle(t, 2), lambda t: TF.pixel_shuffle(t, 2), x)
    _compare(lambda t: torch.pixel_unshuffle(t, 2), lambda t: tj.pixel_unshuffle(t, 2),
             _x(3, 4, 6))
    _compare(torch.nn.PixelShuffle(2), tj.nn.PixelShuffle(2), x[0])
    _compare(torch.nn.PixelUnshuffle(3), tj.nn.PixelUnshuffle(3), _x(1, 2, 3, 6))
    assert repr(tj.nn.PixelShuffle(2)) == repr(torch.nn.PixelShuffle(2))
    assert repr(tj.nn.PixelUnshuffle(2)) == repr(torch.nn.PixelUnshuffle(2))
    for f, shape, r in (("pixel_shuffle", (2, 8, 3, 4), 3), ("pixel_shuffle", (3, 4), 2),
                        ("pixel_shuffle", (4, 3, 4), 0), ("pixel_unshuffle", (2, 8, 3, 4), 2),
                        ("pixel_unshuffle", (2, 8, 4, 4), 3), ("pixel_unshuffle", (2, 4, 4), -1)):
        _same_error(lambda: getattr(F, f)(torch.zeros(shape), r),
                    lambda: getattr(TF, f)(tj.zeros(shape), r))


def test_channel_shuffle():
    x = _x(2, 6, 3)
    _compare(lambda t: F.channel_shuffle(t, 3), lambda t: TF.channel_shuffle(t, 3), x)
    _compare(lambda t: torch.channel_shuffle(t, 2), lambda t: tj.channel_shuffle(t, 2), x)
    _compare(torch.nn.ChannelShuffle(2), tj.nn.ChannelShuffle(2), _x(1, 4, 2, 2))
    assert repr(tj.nn.ChannelShuffle(2)) == repr(torch.nn.ChannelShuffle(2))
    for shape, g in (((2, 6, 3), 4), ((2, 6, 3), 0), ((6, 3), 2)):
        _same_error(lambda: F.channel_shuffle(torch.zeros(shape), g),
                    lambda: TF.channel_shuffle(tj.zeros(shape), g))


def test_distance_modules():
    x1, x2 = _x(3, 5), _x(3, 5)
    for kw in ({}, dict(p=1.0, eps=1e-3, keepdim=True)):
        ma, mb = torch.nn.PairwiseDistance(**kw), tj.nn.PairwiseDistance(**kw)
        assert repr(mb) == repr(ma)
        _compare(ma, mb, x1, x2)
    for kw in ({}, dict(dim=0, eps=1e-3)):
        ma, mb = torch.nn.CosineSimilarity(**kw), tj.nn.CosineSimilarity(**kw)
        assert repr(mb) == repr(ma)
        _compare(ma, mb, x1, x2)
