"""torch.nn losses (functional and modules) against real torch: values, dtypes, grad_fn names,
gradients for every reduction, legacy size_average/reduce, warnings and error messages."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import torchjax as tj
import torchjax.nn.functional as JF

R = np.random.RandomState(0)
REDS = ("none", "mean", "sum")


def _to(lib, v, rg):
    if isinstance(v, np.ndarray):
        t = lib.from_numpy(v.copy()) if lib is torch else lib.tensor(v)
        return t.requires_grad_(True) if rg and v.dtype.kind == "f" else t
    return v


def _n(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._value)


def compare(name, args, kw=None, rg=(0,), jfn=None, tfn=None):
    """Run F.name on the same numpy args in torch and torchjax; compare value, dtype, grad_fn and
    the gradients of the args at positions rg (with a random cotangent)."""
    kw = kw or {}
    ta = [_to(torch, a, i in rg) for i, a in enumerate(args)]
    ja = [_to(tj, a, i in rg) for i, a in enumerate(args)]
    to = (tfn or getattr(TF, name))(*ta, **kw)
    jo = (jfn or getattr(JF, name))(*ja, **kw)
    assert str(jo.dtype) == str(to.dtype)
    torch.testing.assert_close(torch.from_numpy(np.array(_n(jo))), to.detach(), equal_nan=True)
    if not rg:
        return
    assert type(jo.grad_fn).__name__ == type(to.grad_fn).__name__, (jo.grad_fn, to.grad_fn)
    g = np.asarray(R.rand(*to.shape)).astype(_n(to).dtype)
    tin = [ta[i] for i in rg]
    tg = torch.autograd.grad(to, tin, torch.from_numpy(g), allow_unused=True)
    jg = tj.autograd.grad(jo, [ja[i] for i in rg], tj.tensor(g), allow_unused=True)
    for k, (a, b) in enumerate(zip(jg, tg)):
        if b is None:
            continue
        torch.testing.assert_close(torch.from_numpy(np.array(_n(a))), b, equal_nan=True,
                                   atol=2e-5, rtol=2e-4, msg=lambda m: f"{name} {kw} grad {k}: {m}")


def f32(*shape):
    return R.randn(*shape).astype(np.float32)


def u01(*shape):
    return R.uniform(0.05, 0.95, shape).astype(np.float32)


def cls(n, *shape):
    return R.randint(0, n, shape).astype(np.int64)


# ---------------------------------------------------------------- priority 1

@pytest.mark.parametrize("red", REDS)
def test_regression(red):
    x, y = f32(3, 4), f32(3, 4)
    y[0, 0] = x[0, 0]  # a zero difference: abs / smooth-l1 gradient at 0
    w = u01(3, 4)
    for name, kw in (("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                     ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
                     ("huber_loss", {}), ("huber_loss", {"delta": 0.3})):
        compare(name, (x, y), dict(kw, reduction=red), rg=(0, 1))
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        compare(name, (x, y), dict(reduction=red, weight=tj.tensor(w)), rg=(0, 1),
                tfn=lambda a, b, **k: getattr(TF, name)(a, b, **dict(k, weight=torch.tensor(w))))
    compare("mse_loss", (x.astype(np.float64), y), dict(reduction=red), rg=(0, 1))


def test_regression_warnings_errors():
    x = f32(3, 4)
    for lib, F in ((torch, TF), (tj, JF)):
        a = lib.tensor(x)
        with pytest.warns(UserWarning, match="Using a target size"):
            F.mse_loss(a, a[0])
        with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
            F.l1_loss(a, a, reduction="foo")
        with pytest.raises(ValueError, match="Weights and input must have the same size."):
            F.mse_loss(a, a, weight=lib.ones(4))
        with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative"):
            F.smooth_l1_loss(a, a, beta=-1.0)
        with pytest.raises(RuntimeError, match="huber_loss does not support non-positive"):
            F.huber_loss(a, a, delta=0.0)
        with pytest.raises(NotImplementedError, match="\"mse_cpu\" not implemented for 'Long'"):
            F.mse_loss(a.long(), a.long())
        with pytest.warns(UserWarning, match="reduction='sum' instead"):
            r = F.mse_loss(a, a + 1, size_average=False)
        assert float(r) == 12.0


@pytest.mark.parametrize("red", REDS)
def test_nll_cross_entropy(red):
    x, t = f32(5, 4), cls(4, 5)
    t[1] = -100
    t2 = t.copy(); t2[2] = 1; t2[1] = 3
    w = u01(4)
    tw = torch.tensor(w)
    for name in ("nll_loss", "cross_entropy"):
        compare(name, (x, t), dict(reduction=red))
        compare(name, (x, t2), dict(reduction=red, ignore_index=3))
        compare(name, (x, t), dict(reduction=red, weight=tj.tensor(w)),
                tfn=lambda a, b, **k: getattr(TF, name)(a, b, **dict(k, weight=tw)))
        compare(name, (x[0], np.asarray(t2[0])), dict(reduction=red))  # unbatched
        compare(name, (f32(2, 3, 2, 2), cls(3, 2, 2, 2)), dict(reduction=red))  # 4-D: NllLoss2D
        compare(name, (f32(2, 3, 4), cls(3, 2, 4)), dict(reduction=red))  # K-dim via view
    compare("nll_loss", (f32(2, 3, 2, 1, 2), cls(3, 2, 2, 1, 2)), dict(reduction=red))
    ls = 0.2
    compare("cross_entropy", (x, t), dict(reduction=red, label_smoothing=ls))
    compare("cross_entropy", (x, t), dict(reduction=red, label_smoothing=ls, weight=tj.tensor(w)),
            tfn=lambda a, b, **k: TF.cross_entropy(a, b, **dict(k, weight=tw)))
    t3 = cls(3, 2, 4); t3[0, 1] = -100
    compare("cross_entropy", (f32(2, 3, 4), t3), dict(reduction=red, label_smoothing=ls))
    p = np.exp(f32(5, 4)); p /= p.sum(1, keepdims=True)
    compare("cross_entropy", (x, p), dict(reduction=red), rg=(0, 1))
    compare("cross_entropy", (x, p), dict(reduction=red, label_smoothing=0.2), rg=(0, 1))
    compare("cross_entropy", (x, p), dict(reduction=red, weight=tj.tensor(w)), rg=(0, 1),
            tfn=lambda a, b, **k: TF.cross_entropy(a, b, **dict(k, weight=tw)))
    compare("cross_entropy", (f32(2, 3, 4), u01(2, 3, 4)), dict(reduction=red), rg=(0, 1))


def test_nll_all_ignored_and_legacy():
    x, t = f32(3, 4), np.full(3, -100, np.int64)
    compare("nll_loss", (x, t))
    compare("cross_entropy", (x, t))
    with pytest.warns(UserWarning, match="reduction='none' instead"):
        compare("cross_entropy", (x, cls(4, 3)), dict(reduce=False))


def _errors(cases):
    for fn, exc, msg in cases:
        for lib, F in ((torch, TF), (tj, JF)):
            with pytest.raises(exc) as e:
                fn(lib, F)
            assert str(e.value) == msg, (lib, str(e.value))


def test_nll_errors():
    x = f32(3, 4)
    T = lambda lib, v: lib.tensor(np.asarray(v))
    _errors([
        (lambda L, F: F.nll_loss(T(L, x), T(L, [1, 2])), ValueError,
         "Expected input batch_size (3) to match target batch_size (2)."),
        (lambda L, F: F.cross_entropy(T(L, x), T(L, [1, 2, 5])), IndexError,
         "Target 5 is out of bounds."),
        (lambda L, F: F.nll_loss(T(L, x), T(L, [1, -3, 2])), IndexError,
         "Target -3 is out of bounds."),
        (lambda L, F: F.nll_loss(T(L, f32(2, 3, 2, 2)), T(L, np.full((2, 2, 2), 7))), IndexError,
         "Target 7 is out of bounds."),
        (lambda L, F: F.nll_loss(T(L, f32(2, 3, 2, 2)), T(L, np.ones((2, 2, 3), np.int64))),
         RuntimeError, "size mismatch (got input: [2, 3, 2, 2] , target: [2, 2, 3]"),
        (lambda L, F: F.nll_loss(T(L, f32(2, 3, 2)), T(L, np.ones((2, 3), np.int64))),
         RuntimeError, "Expected target size [2, 2], got [2, 3]"),
        (lambda L, F: F.nll_loss(T(L, x), T(L, np.float32([1, 2, 0]))), RuntimeError,
         "expected target dtype to be Long or Byte, but got Float"),
        (lambda L, F: F.nll_loss(T(L, x), T(L, [1, 2, 0]), weight=L.ones(3)), RuntimeError,
         "weight tensor should be defined either for all 4 classes or no classes but got weight "
         "tensor of shape: [3]"),
        (lambda L, F: F.nll_loss(L.tensor(1.0), L.tensor(0)), ValueError,
         "Expected 1 or more dimensions (got 0)"),
        (lambda L, F: F.cross_entropy(T(L, x), T(L, u01(3, 5))), RuntimeError,
         "0D or 1D target tensor expected, multi-target not supported"),
        (lambda L, F: F.cross_entropy(T(L, x), L.ones(3, 4, dtype=L.int32)), RuntimeError,
         "Expected floating point type for target with class probabilities, got Int"),
        (lambda L, F: F.cross_entropy(T(L, x), T(L, [1, 2, 0]), label_smoothing=1.5),
         RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
        (lambda L, F: F.cross_entropy(T(L, x), T(L, [1, 2, 0]), reduction="foo"), ValueError,
         "foo is not a valid value for reduction"),
    ])


@pytest.mark.parametrize("red", REDS)
def test_bce(red):
    p, t, x = u01(3, 4), u01(3, 4), f32(3, 4)
    w, pw = u01(3, 4), u01(4) * 3
    compare("binary_cross_entropy", (p, t), dict(reduction=red), rg=(0, 1))
    compare("binary_cross_entropy", (p, t, w), dict(reduction=red), rg=(0, 1))
    compare("binary_cross_entropy", (p, t, w[0]), dict(reduction=red), rg=(0,))
    edge = np.array([0.0, 1.0, 0.5, 1e-30], np.float32)
    compare("binary_cross_entropy", (edge, np.array([0.0, 1.0, 1.0, 0.0], np.float32)),
            dict(reduction=red), rg=(0, 1))
    compare("binary_cross_entropy_with_logits", (x, t), dict(reduction=red), rg=(0, 1))
    compare("binary_cross_entropy_with_logits", (x * 30, t, w), dict(reduction=red), rg=(0, 1))
    compare("binary_cross_entropy_with_logits", (x, t), dict(reduction=red), rg=(0, 1),
            jfn=lambda a, b, **k: JF.binary_cross_entropy_with_logits(
                a, b, pos_weight=tj.tensor(pw), **k),
            tfn=lambda a, b, **k: TF.binary_cross_entropy_with_logits(
                a, b, pos_weight=torch.tensor(pw), **k))


def test_bce_errors():
    T = lambda lib, v: lib.tensor(np.asarray(v))
    _errors([
        (lambda L, F: F.binary_cross_entropy_with_logits(L.ones(2), L.ones(2),
                                                         pos_weight=L.ones(2, requires_grad=True)),
         RuntimeError, "The function 'binary_cross_entropy_with_logits' is not differentiable "
         "with respect to argument 'pos_weight'. This input cannot have requires_grad True."),
        (lambda L, F: F.cross_entropy(L.ones(2, 2), L.zeros(2, dtype=L.long),
                                      weight=L.ones(2, requires_grad=True)),
         RuntimeError, "The function 'nll_loss_forward' is not differentiable "
         "with respect to argument 'weight'. This input cannot have requires_grad True."),
        (lambda L, F: F.binary_cross_entropy(T(L, f32(3, 4) + 2), T(L, u01(3, 4))), RuntimeError,
         "all elements of input should be between 0 and 1"),
        (lambda L, F: F.binary_cross_entropy(T(L, u01(3, 4)), T(L, u01(3, 4) * 3)), RuntimeError,
         "all elements of target should be between 0 and 1"),
        (lambda L, F: F.binary_cross_entropy(T(L, u01(3, 4)), T(L, u01(4))), ValueError,
         "Using a target size (torch.Size([4])) that is different to the input size "
         "(torch.Size([3, 4])) is deprecated. Please ensure they have the same size."),
        (lambda L, F: F.binary_cross_entropy_with_logits(T(L, u01(3, 4)), T(L, u01(4))),
         ValueError, "Target size (torch.Size([4])) must be the same as input size "
         "(torch.Size([3, 4]))"),
    ])


@pytest.mark.parametrize("red", REDS + ("batchmean",))
def test_kl_div(red):
    x, t, lt = f32(3, 4), u01(3, 4), f32(3, 4)
    t[0, 0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare("kl_div", (x, t), dict(reduction=red), rg=(0, 1))
        compare("kl_div", (x, lt), dict(reduction=red, log_target=True), rg=(0, 1))
    if red == "mean":
        for F in (TF, JF):
            with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
                F.kl_div(tj.tensor(x) if F is JF else torch.tensor(x),
                         tj.tensor(t) if F is JF else torch.tensor(t))


# ---------------------------------------------------------------- priority 2

def sign(*shape):
    return np.where(R.rand(*shape) > 0.5, 1.0, -1.0).astype(np.float32)


@pytest.mark.parametrize("red", REDS)
def test_margin_losses(red):
    x, y = f32(3, 4), sign(3, 4)
    kw = dict(reduction=red)
    compare("soft_margin_loss", (x, y), kw, rg=(0,))
    compare("multilabel_soft_margin_loss", (x, (y > 0).astype(np.float32)), kw, rg=(0, 1))
    compare("multilabel_soft_margin_loss", (x, u01(3, 4), u01(4)), kw, rg=(0, 1))
    mt = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [2, -1, 1, 0]], np.int64)
    compare("multilabel_margin_loss", (x, mt), kw)
    compare("multilabel_margin_loss", (x[0], mt[0]), kw)
    t = np.array([1, 0, 3], np.int64)
    xt = x.copy(); xt[0, 2] = xt[0, 1] - 1.0  # z == 0 exactly: torch's gradient is 0 there
    for p, m in ((1, 1.0), (2, 0.5)):
        compare("multi_margin_loss", (xt, t), dict(kw, p=p, margin=m))
    u4 = u01(4)
    compare("multi_margin_loss", (x, t), kw,
            jfn=lambda a, b, **k: JF.multi_margin_loss(a, b, weight=tj.tensor(u4), **k),
            tfn=lambda a, b, **k: TF.multi_margin_loss(a, b, weight=torch.tensor(u4), **k))
    compare("multi_margin_loss", (x[0], np.asarray(t[0])), kw)
    a, b = f32(5), f32(5)
    b[0] = a[0]  # clamp_min boundary
    compare("margin_ranking_loss", (a, b, sign(5)), kw, rg=(0, 1, 2))
    compare("margin_ranking_loss", (a, b, sign(5)), dict(kw, margin=0.5), rg=(0, 1))
    compare("hinge_embedding_loss", (x, y), kw, rg=(0,))
    h = JF.hinge_embedding_loss(tj.tensor(x), tj.tensor(y).requires_grad_())
    assert h.grad_fn is None  # the target only feeds comparisons, as in torch
    compare("hinge_embedding_loss", (x, y), dict(kw, margin=0.3), rg=(0,))
    compare("cosine_embedding_loss", (x, f32(3, 4), sign(3)), kw, rg=(0, 1))
    compare("cosine_embedding_loss", (x, f32(3, 4), sign(3)), dict(kw, margin=0.2), rg=(0, 1))
    compare("cosine_embedding_loss", (x[0], x[1], np.asarray(-1.0, np.float32)), kw, rg=(0, 1))


@pytest.mark.parametrize("red", REDS)
def test_triplet_poisson_gaussian(red):
    a, p, n = f32(3, 4), f32(3, 4), f32(3, 4)
    kw = dict(reduction=red)
    compare("triplet_margin_loss", (a, p, n), kw, rg=(0, 1, 2))
    compare("triplet_margin_loss", (a, p, n), dict(kw, p=1, eps=1e-3, swap=True, margin=2.0),
            rg=(0, 1, 2))
    compare("triplet_margin_with_distance_loss", (a, p, n), kw, rg=(0, 1, 2))
    cos = lambda lib: (lambda u, v: 1 - lib.nn.functional.cosine_similarity(u, v))
    compare("triplet_margin_with_distance_loss", (a, p, n), dict(kw, swap=True, margin=0.5),
            rg=(0, 1, 2),
            jfn=lambda *z, **k: JF.triplet_margin_with_distance_loss(
                *z, distance_function=cos(tj), **k),
            tfn=lambda *z, **k: TF.triplet_margin_with_distance_loss(
                *z, distance_function=cos(torch), **k))
    t = (u01(3, 4) * 4).round().astype(np.float32)
    compare("poisson_nll_loss", (a, t), kw, rg=(0, 1))
    compare("poisson_nll_loss", (a, t), dict(kw, full=True), rg=(0, 1))
    compare("poisson_nll_loss", (u01(3, 4), t), dict(kw, log_input=False, eps=1e-4), rg=(0, 1))
    var = u01(3, 4); var[0, 0] = 1e-9  # clamped to eps without blocking the gradient
    compare("gaussian_nll_loss", (a, p, var), kw, rg=(0, 1, 2))
    compare("gaussian_nll_loss", (a, p, var), dict(kw, full=True, eps=1e-3), rg=(0, 1, 2))
    compare("gaussian_nll_loss", (a, p, var[:, 0]), kw, rg=(0, 1, 2))  # var (N,) -> (N, 1)
    compare("gaussian_nll_loss", (a, p, var[:, :1]), kw, rg=(0, 1, 2))  # one broadcast dim
    compare("gaussian_nll_loss", (a, p, 0.7), kw, rg=(0, 1))


def test_margin_errors():
    x = f32(3, 4)
    T = lambda lib, v: lib.tensor(np.asarray(v))
    _errors([
        (lambda L, F: F.multi_margin_loss(T(L, x), T(L, [1, 2, 0]), p=3), ValueError,
         "only p == 1 and p == 2 supported"),
        (lambda L, F: F.multi_margin_loss(T(L, x), T(L, [1, 2, 7])), RuntimeError,
         "target out of range"),
        (lambda L, F: F.multilabel_margin_loss(T(L, x), T(L, [1, 2, 0])), RuntimeError,
         "inconsistent target size: [3] for input of size: [3, 4]"),
        (lambda L, F: F.multilabel_margin_loss(T(L, x), T(L, np.full((3, 4), 9))), RuntimeError,
         "argument #2 'target' is out of range"),
        (lambda L, F: F.triplet_margin_loss(T(L, x), T(L, x), T(L, x), margin=0), ValueError,
         "margin must be greater than 0, got 0"),
        (lambda L, F: F.triplet_margin_loss(T(L, x), T(L, x), T(L, x[0])), RuntimeError,
         "The anchor, positive, and negative tensors are expected to have the same number of "
         "dimensions, but got: anchor 2D, positive 2D, and negative 1D inputs"),
        (lambda L, F: F.margin_ranking_loss(T(L, x), T(L, x), T(L, x[0])), RuntimeError,
         "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
         "input1: torch.Size([3, 4]), input2: torch.Size([3, 4]), target: torch.Size([4]) "),
        (lambda L, F: F.gaussian_nll_loss(T(L, x), T(L, x), L.ones(2)), ValueError,
         "var is of incorrect size"),
        (lambda L, F: F.gaussian_nll_loss(T(L, x), T(L, x), -L.ones(3, 4)), ValueError,
         "var has negative entry/entries"),
        (lambda L, F: F.gaussian_nll_loss(T(L, x), T(L, x), L.ones(3, 4), reduction="x"),
         ValueError, "x is not valid"),
        (lambda L, F: F.poisson_nll_loss(T(L, x), T(L, x), reduction="x"), ValueError,
         "x is not a valid value for reduction"),
        (lambda L, F: F.cosine_embedding_loss(T(L, x), T(L, x), L.ones(4)), RuntimeError,
         "The size of tensor a (4) must match the size of tensor b (3) at non-singleton "
         "dimension 0"),
        (lambda L, F: F.soft_margin_loss(T(L, x), L.ones(3, 4, requires_grad=True)), RuntimeError,
         "The function 'soft_margin_loss' is not differentiable with respect to argument "
         "'target'. This input cannot have requires_grad True."),
    ])


# ---------------------------------------------------------------- CTC

def _logp(*shape):
    x = f32(*shape)
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(np.float32)


def test_ctc():
    T, N, C = 8, 3, 5
    lp = _logp(T, N, C)
    tg = np.array([[1, 2, 2], [3, 1, 0], [4, 4, 4]], np.int64)
    il, tl = np.array([8, 6, 7], np.int64), np.array([3, 2, 0], np.int64)
    kw = dict(reduction="none")
    compare("ctc_loss", (lp, tg, il, tl), kw)
    compare("ctc_loss", (lp, tg, il, tl), dict(reduction="mean"))
    compare("ctc_loss", (lp, tg - 1, [8, 6, 7], [3, 2, 1]), dict(kw, blank=4))
    compare("ctc_loss", (lp, np.array([1, 2, 2, 3, 1], np.int64), il, tl), kw)  # concatenated
    compare("ctc_loss", (lp[:, 0], tg[0], np.asarray(8), np.asarray(3)), kw)  # unbatched
    # impossible alignment (input too short): inf loss and NaN gradients, as in torch, unless
    # zero_infinity zeroes both
    compare("ctc_loss", (lp, tg, np.array([8, 2, 7]), tl), dict(reduction="sum"))
    compare("ctc_loss", (lp, tg, np.array([8, 2, 7]), tl), dict(kw, zero_infinity=True))


def test_ctc_errors():
    lp = _logp(4, 2, 3)
    T = lambda lib, v: lib.tensor(np.asarray(v))
    _errors([
        (lambda L, F: F.ctc_loss(T(L, lp), T(L, [[1, 2], [1, 1]]), [5, 4], [2, 2]), RuntimeError,
         "Expected input_lengths to have value at most 4, but got value 5 (while checking "
         "arguments for ctc_loss_allocate_outputs)"),
        (lambda L, F: F.ctc_loss(T(L, lp), T(L, [[1, 2], [1, 1]]), [4, 4], [2, 2], blank=3),
         RuntimeError, "blank must be in label range"),
        (lambda L, F: F.ctc_loss(T(L, lp), T(L, [[1, 2], [1, 1]]), [4, 4], [2, 3]),
         RuntimeError, "Expected tensor to have size at least 3 at dimension 1, but got size 2 "
         "for argument #2 'targets' (while checking arguments for ctc_loss_allocate_outputs)"),
        (lambda L, F: F.ctc_loss(T(L, lp), T(L, [1, 2, 1]), [4, 4], [2, 3]),
         RuntimeError, "Expected tensor to have size 5 at dimension 0, but got size 3 "
         "for argument #2 'targets' (while checking arguments for ctc_loss_allocate_outputs)"),
        (lambda L, F: F.ctc_loss(T(L, lp), T(L, [[1, 2], [1, 1]]), [4, 4, 4], [2, 2]),
         RuntimeError, "input_lengths must be of size batch_size"),
    ])


# ---------------------------------------------------------------- modules

def _mods():
    x, y, p, s = f32(3, 4), f32(3, 4), u01(3, 4), sign(3, 4)
    t, w = np.array([1, 0, 3], np.int64), u01(4)
    mt = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [2, -1, 1, 0]], np.int64)
    return [
        ("L1Loss", {}, (x, y)), ("MSELoss", {"reduction": "sum"}, (x, y)),
        ("NLLLoss", {"weight": w, "ignore_index": 0}, (x, t)),
        ("CrossEntropyLoss", {"weight": w, "label_smoothing": 0.1}, (x, t)),
        ("CrossEntropyLoss", {"reduce": False}, (x, t)),
        ("PoissonNLLLoss", {"full": True}, (x, p * 3)),
        ("GaussianNLLLoss", {"full": True}, (x, y, p)),
        ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, (x, y)),
        ("BCELoss", {"weight": w}, (p, u01(3, 4))),
        ("BCEWithLogitsLoss", {"weight": w, "pos_weight": w * 2}, (x, p)),
        ("HingeEmbeddingLoss", {"margin": 0.5}, (x, s)),
        ("MultiLabelMarginLoss", {}, (x, mt)),
        ("SmoothL1Loss", {"beta": 0.5}, (x, y)), ("HuberLoss", {"delta": 0.5}, (x, y)),
        ("SoftMarginLoss", {}, (x, s)),
        ("MultiLabelSoftMarginLoss", {"weight": w}, (x, (p > 0.5).astype(np.float32))),
        ("CosineEmbeddingLoss", {"margin": 0.1}, (x, y, sign(3))),
        ("MarginRankingLoss", {"margin": 0.1}, (x[0], y[0], s[0])),
        ("MultiMarginLoss", {"p": 2, "weight": w}, (x, t)),
        ("TripletMarginLoss", {"swap": True}, (x, y, p)),
        ("TripletMarginWithDistanceLoss", {"margin": 0.5}, (x, y, p)),
        ("CTCLoss", {"blank": 1, "zero_infinity": True},
         (_logp(6, 2, 4), np.array([[2, 3], [3, 3]]), np.array([6, 5]), np.array([2, 2]))),
    ]


@pytest.mark.parametrize("case", _mods(), ids=lambda c: c[0])
def test_modules(case):
    name, kw, args = case
    tkw = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    jkw = {k: tj.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, jm = getattr(torch.nn, name)(**tkw), getattr(tj.nn, name)(**jkw)
    assert repr(jm) == repr(tm)
    assert list(jm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in jm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert jm.reduction == tm.reduction
    compare(name, args, rg=(0,), jfn=jm, tfn=tm)


def test_linear_cross_entropy():
    x, lw, lb, t = f32(3, 5), f32(4, 5), f32(4), np.array([1, 0, 3], np.int64)
    for kw in ({}, {"label_smoothing": 0.1, "reduction": "sum"}, {"ignore_index": 0}):
        compare("linear_cross_entropy", (x, lw, t), kw, rg=(0, 1))
        compare("linear_cross_entropy", (x, lw, t), kw, rg=(0, 1),
                jfn=lambda *a, **k: JF.linear_cross_entropy(*a, linear_bias=tj.tensor(lb), **k),
                tfn=lambda *a, **k: TF.linear_cross_entropy(*a, linear_bias=torch.tensor(lb), **k))
    compare("linear_cross_entropy", (x, f32(4, 2, 5), cls(4, 3, 2)), {}, rg=(0, 1))  # K-dim
    for lib in (torch, tj):
        lib.manual_seed(0)
        m = lib.nn.LinearCrossEntropyLoss(5, 4, out_features=(2,), bias=True)
        if lib is torch:
            ref = (repr(m), m.linear.weight.detach().numpy(), m.linear.bias.detach().numpy())
    assert repr(m) == ref[0]
    np.testing.assert_array_equal(_n(m.linear.weight), ref[1])
    np.testing.assert_array_equal(_n(m.linear.bias), ref[2])
    tm = torch.nn.LinearCrossEntropyLoss(5, 4, bias=True)
    jm = tj.nn.LinearCrossEntropyLoss(5, 4, bias=True)
    jm.load_state_dict({k: tj.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    compare("linear_cross_entropy", (x, t), jfn=jm, tfn=tm)
    _errors([(lambda L, F: F.linear_cross_entropy(L.ones(2, 3), L.ones(4, 2), L.zeros(2)),
              RuntimeError, "expected equal input and linear_weight last dimensions "
              "(in_features), got 3 and 2, respectively")])


def test_module_construction():
    for lib in (torch, tj):
        with pytest.warns(UserWarning, match="reduction='none' instead"):
            assert lib.nn.L1Loss(size_average=True, reduce=False).reduction == "none"
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
            lib.nn.NLLLoss2d()
        with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
            lib.nn.MultiMarginLoss(p=3)
        with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater "
                                             "than 0, got 0 instead"):
            lib.nn.TripletMarginLoss(margin=0)
        with pytest.raises(TypeError, match="delta must be a float or int"):
            lib.nn.HuberLoss(delta="1")
    assert repr(tj.nn.CrossEntropyLoss(weight=tj.ones(3))) == "CrossEntropyLoss()"


def _outcome(lib, f):
    try:
        r = f(lib, lib.nn.functional)
        return str(r.dtype), tuple(r.shape)
    except Exception as e:  # the same exception type and message as torch
        return type(e).__name__, str(e)


_X = f32(3, 4).astype(np.float64)
_DTYPE_CASES = {
    "ce f64": lambda L, F: F.cross_entropy(L.tensor(_X), L.tensor([1, 0, 2])),
    "ce f64 weight f32": lambda L, F: F.cross_entropy(L.tensor(_X), L.tensor([1, 0, 2]),
                                                      weight=L.ones(4)),
    "ce bf16": lambda L, F: F.cross_entropy(L.tensor(_X).bfloat16(), L.tensor([1, 0, 2])),
    "ce uint8 target": lambda L, F: F.cross_entropy(L.tensor(_X), L.tensor([1, 0, 2],
                                                                            dtype=L.uint8)),
    "ce empty": lambda L, F: F.cross_entropy(L.ones(0, 4), L.ones(0, dtype=L.long)),
    "bcel int target": lambda L, F: F.binary_cross_entropy_with_logits(
        L.tensor(_X), L.ones(3, 4, dtype=L.long)),
    "bce f64/f32": lambda L, F: F.binary_cross_entropy(L.ones(3, dtype=L.float64) / 2,
                                                       L.ones(3) / 2),
    "mse long/float": lambda L, F: F.mse_loss(L.ones(3, dtype=L.long), L.ones(3)),
    "l1 long sum": lambda L, F: F.l1_loss(L.ones(3, dtype=L.long), L.ones(3, dtype=L.long),
                                          reduction="sum"),
    "l1 long mean": lambda L, F: F.l1_loss(L.ones(3, dtype=L.long), L.ones(3, dtype=L.long)),
    "kl int target": lambda L, F: F.kl_div(L.tensor(_X), L.ones(3, 4, dtype=L.long)),
    "mlm int32 target": lambda L, F: F.multilabel_margin_loss(L.tensor(_X),
                                                              L.ones(3, 4, dtype=L.int32)),
    "triplet long": lambda L, F: F.triplet_margin_loss(*(L.ones(3, 4, dtype=L.long),) * 3),
    "gaussian f64 var": lambda L, F: F.gaussian_nll_loss(L.ones(3), L.ones(3),
                                                         L.ones(3, dtype=L.float64)),
    "ctc f64": lambda L, F: F.ctc_loss(L.ones(4, 2, 3, dtype=L.float64) / -3,
                                       L.tensor([[1, 2], [1, 1]]), [4, 4], [2, 2]),
    "l1 bad broadcast": lambda L, F: F.l1_loss(L.ones(5, 4), L.ones(5)),
    "soft margin bad broadcast": lambda L, F: F.soft_margin_loss(L.ones(5, 4), L.ones(5)),
    "poisson bad broadcast": lambda L, F: F.poisson_nll_loss(L.ones(5), L.ones(5, 4)),
    "gaussian bad broadcast": lambda L, F: F.gaussian_nll_loss(L.ones(2, 3), L.ones(2, 2),
                                                               L.ones(2, 3)),
    "margin ranking long": lambda L, F: F.margin_ranking_loss(*(L.ones(3, dtype=L.long),) * 3),
    "cosine embedding long": lambda L, F: F.cosine_embedding_loss(
        L.ones(2, 3, dtype=L.long), L.ones(2, 3, dtype=L.long), L.ones(2, dtype=L.long)),
    "poisson long": lambda L, F: F.poisson_nll_loss(L.ones(3, dtype=L.long),
                                                    L.ones(3, dtype=L.long)),
    # torch.X forms take torch's reduction enum; their default is no reduction
    "torch.kl_div": lambda L, F: L.kl_div(L.ones(3), L.ones(3)),
    "torch.bcel": lambda L, F: L.binary_cross_entropy_with_logits(L.ones(3), L.ones(3),
                                                                  reduction=2),
    "torch.ctc_loss": lambda L, F: L.ctc_loss(L.ones(4, 2, 3) / -3, L.tensor([[1, 2], [1, 1]]),
                                              [4, 4], [2, 2]),
    "torch.triplet": lambda L, F: L.triplet_margin_loss(L.ones(3, 2), L.ones(3, 2),
                                                        L.zeros(3, 2)),
    "torch.poisson": lambda L, F: L.poisson_nll_loss(L.ones(3), L.ones(3), True, False, 1e-8, 1),
}


@pytest.mark.parametrize("case", list(_DTYPE_CASES))
def test_dtypes_and_torch_forms(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _outcome(torch, _DTYPE_CASES[case])
        got = _outcome(tj, _DTYPE_CASES[case])
    assert got == want
