"""Loss values and gradients bit-identical to torch's CPU kernels: the backward kernels' own
formulas (mse/smooth_l1/huber with their scalar tails, nll's write-not-accumulate, BCE's input
gradient), nll's 8-level cascade sum, the multi-margin kernels' sequential sums, the gradients
torch's autograd forms for the composite losses (and the order the engine adds them), and exact
divisions by numel. Where torch takes a transcendental from SLEEF/glibc/MKL (exp, log, log1p,
sqrt) only the arithmetic around it is reproduced: those values are compared closely, not
bitwise."""
import warnings
import zlib

import numpy as np
import pytest
import torch

import torchjax as tj

REDS = ("none", "mean", "sum")
RNG = np.random.default_rng(23)


@pytest.fixture(autouse=True)
def _seeded(request):
    """Each test draws its own data, whatever the order tests run in."""
    global RNG
    RNG = np.random.default_rng(zlib.crc32(request.node.name.encode()))


def _bits(r, g, what=""):
    """Bitwise equality (-0 vs +0 counts; NaNs by position), dtype and shape included."""
    r, g = r.detach(), g.detach()
    assert str(g.dtype) == str(r.dtype) and tuple(g.shape) == tuple(r.shape), what
    a, b = np.atleast_1d(r.numpy()), np.atleast_1d(g.numpy())
    assert np.array_equal(np.isnan(a), np.isnan(b)), what
    a, b = np.where(np.isnan(a), 0, a), np.where(np.isnan(b), 0, b)
    ok = np.array_equal(a.view(np.uint8), b.view(np.uint8))
    assert ok, f"{what}: {(a.view(f'u{a.itemsize}') != b.view(f'u{b.itemsize}')).mean():.4f} differ"


def _close(r, g, what="", rtol=2e-6):
    r, g = r.detach(), g.detach()
    assert str(g.dtype) == str(r.dtype) and tuple(g.shape) == tuple(r.shape), what
    np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=rtol, atol=1e-6, err_msg=what)


def _run(f, arrays, grad=(0,), ints=()):
    """f(module, *tensors) on torch and torchjax, backward with the same random cotangent:
    [(out, *grads of the positions in grad)] for torch, torchjax. ``ints`` are passed as is
    (made tensors of the module)."""
    res, g = [], None
    for m in (torch, tj):
        ts = [m.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = f(m, *ts, *[m.tensor(v) for v in ints])
        if g is None:
            g = RNG.standard_normal(tuple(out.shape)).astype(str(out.dtype).split(".")[1])
        out.backward(m.tensor(g))
        res.append([out] + [ts[i].grad for i in grad])
    return res


def _check(f, arrays, grad=(0,), ints=(), exact=None, what=""):
    """Bitwise checks of the forward (slot 0) and the gradients; ``exact`` lists the slots
    compared bitwise (default all), the others closely."""
    (t, j) = _run(f, arrays, grad, ints)
    for k, (a, b) in enumerate(zip(t, j)):
        if exact is None or k in exact:
            _bits(a, b, f"{what} slot {k}")
        else:
            _close(a, b, f"{what} slot {k}")


F = lambda m: m.nn.functional  # noqa: E731


# ------------------------------------------------------------------ mse / smooth_l1 / huber / l1

LAYOUTS = [((37,), (37,)), ((70001,), (70001,)), ((64, 70), (70,)), ((8, 50, 30), (50, 1)),
           ((5, 1, 7), (1, 6, 7)), ((33, 1000), (33, 1))]
KERNELS = [("mse", {}), ("l1", {}), ("smooth_l1", {"beta": 0.3}), ("smooth_l1", {"beta": 1.7}),
           ("huber", {"delta": 0.3}), ("huber", {"delta": 2.2})]


@pytest.mark.parametrize("sa,sb", LAYOUTS, ids=str)
@pytest.mark.parametrize("name,kw", KERNELS, ids=lambda v: str(v))
def test_regression_losses_and_gradients(name, kw, sa, sb):
    """mse_backward / smooth_l1_backward / huber_backward kernels: norm * (x - t) * grad (norm a
    float Scalar, the 0-d grad not folded into it), the vectorized lambda on blocks of 16 and
    the scalar one (double beta / delta) on each row's tail; the target's gradient is the
    kernel with the two swapped; broadcast operands take torch's sum_to."""
    x = (RNG.standard_normal(sa) * 2).astype(np.float32)
    t = (RNG.standard_normal(sb) * 2).astype(np.float32)
    for red in REDS:
        _check(lambda m, a, b: getattr(F(m), name + "_loss")(a, b, reduction=red, **kw),
               (x, t), (0, 1), what=f"{name}{kw} {red}")


@pytest.mark.parametrize("name,kw", [("mse", {}), ("smooth_l1", {"beta": 1.0})] + KERNELS[2::2],
                         ids=str)
def test_regression_losses_float64(name, kw):
    """float64 runs blocks of 8 (its scalar tail differs in smooth_l1 / huber's association)."""
    for sa, sb in (((1001,), (1001,)), ((40001,), (40001,)), ((30, 45), (45,))):
        x = (RNG.standard_normal(sa) * 2).astype(np.float64)
        t = (RNG.standard_normal(sb) * 2).astype(np.float64)
        for red in REDS:
            _check(lambda m, a, b: getattr(F(m), name + "_loss")(a, b, reduction=red, **kw),
                   (x, t), (0, 1), what=f"{name}{kw} {red} {sa} {sb}")


@pytest.mark.parametrize("name,kw", [("mse", {}), ("l1", {}), ("huber", {"delta": 0.3})], ids=str)
def test_weighted_regression_losses(name, kw):
    """The Python composites for a weight: (pow/abs/huber(none)) * weight, sum / sum(weight)
    (mse, l1) or .mean() (huber)."""
    for sa, sb in (((64, 70), (64, 70)), ((64, 70), (70,)), ((8, 50, 30), (50, 1))):
        x = (RNG.standard_normal(sa) * 2).astype(np.float32)
        t = (RNG.standard_normal(sb) * 2).astype(np.float32)
        w = RNG.uniform(size=sa).astype(np.float32)
        for red in REDS:
            _check(lambda m, a, b, c: getattr(F(m), name + "_loss")(a, b, reduction=red,
                                                                    weight=c, **kw),
                   (x, t, w), (0, 1), what=f"{name} weighted {red}")


def test_mean_gradient_divides_by_numel():
    """MeanBackward0 is grad / numel: XLA would multiply a 0-d grad by 1 / numel (1 ulp off for
    about a quarter of the values)."""
    x = RNG.standard_normal(37).astype(np.float32)
    t = RNG.standard_normal(37).astype(np.float32)
    for _ in range(40):
        _check(lambda m, a, b: F(m).l1_loss(a, b), (x, t), (0, 1), what="l1 mean")


# ------------------------------------------------------------------ nll / cross entropy

NLL_SHAPES = [(7,), (37, 5), (4097, 3), (2, 4, 33), (4, 3, 5, 6), (3, 5, 4, 5, 6), (2, 3, 64, 50)]


@pytest.mark.parametrize("shape", NLL_SHAPES, ids=str)
@pytest.mark.parametrize("ignored", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_cascade_and_gradient(shape, ignored, weighted):
    """nll_loss_out_frame / nll_loss2d_forward_out_frame: an 8-level cascade over the targets in
    order (term 0 straight to the top, flushes at multiples of 16 ** level, skipped where the
    target is ignored), the total weight likewise, total / weight for a mean; the gradient
    written at the target class: -w * grad, or w * -(grad / total_weight)."""
    C = shape[0] if len(shape) == 1 else shape[1]
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    tgt = RNG.integers(0, C, tshape)
    if ignored and tgt.ndim:
        tgt[RNG.uniform(size=tshape) < ignored] = -100
    w = RNG.uniform(0.1, 2, C).astype(np.float32)
    for red in REDS:
        if weighted:
            f = lambda m, a, t, c: F(m).nll_loss(a, t, weight=c, reduction=red)  # noqa: E731
            ints = (tgt, w)
        else:
            f = lambda m, a, t: F(m).nll_loss(a, t, reduction=red)  # noqa: E731
            ints = (tgt,)
        _check(f, (x,), ints=ints, what=f"nll {red} {tgt.tolist() if tgt.size < 50 else ''}")
        # cross_entropy: the nll part is exact; log_softmax's exp/log are XLA's
        _check(lambda m, a, t: F(m).cross_entropy(a, t, reduction=red), (x,), ints=(tgt,),
               exact=(), what=f"ce {red}")


def test_nll_float64_and_all_ignored():
    x = RNG.standard_normal((300, 7))
    tgt = RNG.integers(0, 7, 300)
    for red in REDS:
        _check(lambda m, a, t: F(m).nll_loss(a, t, reduction=red), (x,), ints=(tgt,))
    tgt[:] = -100
    for red in REDS:
        _check(lambda m, a, t: F(m).nll_loss(a, t, reduction=red), (x.astype(np.float32),),
               ints=(tgt,))


# ------------------------------------------------------------------ binary cross entropy

@pytest.mark.parametrize("shape", [(37,), (64, 70), (40000,)], ids=str)
def test_binary_cross_entropy_gradient(shape):
    """binary_cross_entropy_backward: grad * (x - t) / max((1 - x) * x, 1e-12), times the
    weight, / numel for a mean (a separate division). The loss takes glibc's logs, the target's
    gradient SLEEF's logit: close."""
    x = RNG.uniform(0.001, 0.999, shape).astype(np.float32)
    t = RNG.uniform(size=shape).astype(np.float32)
    w = RNG.uniform(size=shape).astype(np.float32)
    for red in REDS:
        _check(lambda m, a, b: F(m).binary_cross_entropy(a, b, reduction=red), (x, t), (0, 1),
               exact=(1,), what=f"bce {red}")
        _check(lambda m, a, b, c: F(m).binary_cross_entropy(a, b, weight=c, reduction=red),
               (x, t, w), (0, 1), exact=(1,), what=f"bce weighted {red}")


@pytest.mark.parametrize("shape", [(37,), (64, 70)], ids=str)
def test_bce_with_logits_gradients(shape):
    """binary_cross_entropy_with_logits_target_backward: -x * grad (* weight) (/ numel); the
    input's (sigmoid(x) - t) * grad and the loss (log_sigmoid) are close."""
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    t = RNG.uniform(size=shape).astype(np.float32)
    w = RNG.uniform(size=shape).astype(np.float32)
    pw = RNG.uniform(0.5, 2, shape[-1:]).astype(np.float32)
    for red in REDS:
        _check(lambda m, a, b: F(m).binary_cross_entropy_with_logits(a, b, reduction=red),
               (x, t), (0, 1), exact=(2,), what=f"bcel {red}")
        _check(lambda m, a, b, c: F(m).binary_cross_entropy_with_logits(a, b, weight=c,
                                                                         reduction=red),
               (x, t, w), (0, 1), exact=(2,), what=f"bcel weighted {red}")
        _check(lambda m, a, b, c: F(m).binary_cross_entropy_with_logits(a, b, pos_weight=c,
                                                                         reduction=red),
               (x, t, pw), (0, 1), exact=(), what=f"bcel pos_weight {red}")


# ------------------------------------------------------------------ composite losses

def test_kl_div_and_poisson_nll_gradients():
    """kl_div (xlogy(t, t) - t * x): the input's -grad * t; poisson_nll_loss: the target's
    -grad * input (log_input) and the input's grad + (-grad * t) / (x + eps) (not log_input);
    the rest takes exp/log: close."""
    x = RNG.standard_normal((64, 70)).astype(np.float32)
    t = RNG.uniform(size=(64, 70)).astype(np.float32)
    p = RNG.uniform(0.05, 3, (64, 70)).astype(np.float32)
    for red in REDS + ("batchmean",):
        _check(lambda m, a, b: F(m).kl_div(a, b, reduction=red), (x, t), (0, 1),
               exact=(1,), what=f"kl {red}")
        _check(lambda m, a, b: F(m).kl_div(a, b, reduction=red, log_target=True), (x, x * 0.5),
               (0, 1), exact=(), what=f"kl log {red}")
    for red in REDS:
        _check(lambda m, a, b: F(m).poisson_nll_loss(a, b, reduction=red), (x, t), (0, 1),
               exact=(2,), what=f"poisson {red}")
        _check(lambda m, a, b: F(m).poisson_nll_loss(a, b, log_input=False, reduction=red),
               (p, t), (0, 1), exact=(1,), what=f"poisson no log {red}")
        _check(lambda m, a, b: F(m).poisson_nll_loss(a, b, full=True, reduction=red),
               (x, t * 3), (0, 1), exact=(), what=f"poisson full {red}")


@pytest.mark.parametrize("vshape", [(64, 70), (64, 1), (64,)], ids=str)
def test_gaussian_nll_gradients(vshape):
    """0.5 * (log(var) + (x - t) ** 2 / var): every gradient is arithmetic (var's: LogBackward0
    at var's shape plus DivBackward0's -grad * ((d2 / var) / var) summed to it); the loss
    takes log: close."""
    x = RNG.standard_normal((64, 70)).astype(np.float32)
    t = RNG.standard_normal((64, 70)).astype(np.float32)
    v = RNG.uniform(1e-7, 2, vshape).astype(np.float32)
    for red in REDS:
        for full in (False, True):
            _check(lambda m, a, b, c: F(m).gaussian_nll_loss(a, b, c, full=full, reduction=red),
                   (x, t, v), (0, 1, 2), exact=(1, 2, 3), what=f"gaussian {red}")


def test_margin_losses():
    """multi_margin / multilabel_margin kernels (row sums in order, double reductions, the
    gradient's sequential target entry), hinge_embedding, margin_ranking, triplet_margin."""
    x = RNG.standard_normal((64, 13)).astype(np.float32)
    y = RNG.standard_normal((64, 13)).astype(np.float32)
    z = RNG.standard_normal((64, 13)).astype(np.float32)
    sgn = np.sign(RNG.standard_normal((64, 13))).astype(np.float32)
    tgt = RNG.integers(0, 13, 64)
    w = RNG.uniform(0.2, 2, 13).astype(np.float32)
    lab = np.full((64, 13), -1)
    for row in lab:
        k = RNG.integers(0, 14)
        row[:k] = RNG.permutation(13)[:k]
    for red in REDS:
        _check(lambda m, a, t: F(m).multi_margin_loss(a, t, reduction=red), (x,), ints=(tgt,),
               what=f"multi_margin {red}")
        _check(lambda m, a, t, c: F(m).multi_margin_loss(a, t, p=2, margin=0.7, weight=c,
                                                         reduction=red),
               (x,), ints=(tgt, w), what=f"multi_margin p=2 {red}")
        _check(lambda m, a, t: F(m).multi_margin_loss(a, t, reduction=red), (x[0],),
               ints=(tgt[:1],), what=f"multi_margin 1-D {red}")
        _check(lambda m, a, t: F(m).multilabel_margin_loss(a, t, reduction=red), (x,),
               ints=(lab,), what=f"multilabel_margin {red}")
        _check(lambda m, a, t: F(m).multilabel_margin_loss(a, t, reduction=red), (x[0],),
               ints=(lab[0],), what=f"multilabel_margin 1-D {red}")
        _check(lambda m, a, b: F(m).hinge_embedding_loss(a, b, margin=0.5, reduction=red),
               (x, sgn), what=f"hinge {red}")
        _check(lambda m, a, b, c: F(m).margin_ranking_loss(a, b, c, margin=0.3, reduction=red),
               (x, y, sgn), (0, 1, 2), what=f"margin_ranking {red}")
        for p in (1, 2):
            for swap in (False, True):
                _check(lambda m, a, b, c: F(m).triplet_margin_loss(a, b, c, p=p, swap=swap,
                                                                   reduction=red),
                       (x, y, z), (0, 1, 2), what=f"triplet p={p} swap={swap} {red}")


def test_transcendental_losses_stay_close():
    """soft_margin (exp, log1p), multilabel_soft_margin (log_sigmoid), cosine_embedding (torch's
    sqrt is not correctly rounded here): their arithmetic is torch's, the values close."""
    x = RNG.standard_normal((64, 70)).astype(np.float32)
    y = RNG.standard_normal((64, 70)).astype(np.float32)
    sgn = np.sign(RNG.standard_normal((64, 70))).astype(np.float32)
    lab = (RNG.uniform(size=(64, 70)) > 0.5).astype(np.float32)
    for red in REDS:
        _check(lambda m, a, b: F(m).soft_margin_loss(a, b, reduction=red), (x, sgn), exact=())
        _check(lambda m, a, b: F(m).multilabel_soft_margin_loss(a, b, reduction=red),
               (x, lab), exact=())
        _check(lambda m, a, b, t: F(m).cosine_embedding_loss(a, b, t, margin=0.2,
                                                             reduction=red),
               (x, y), (0, 1), ints=(sgn[:, 0],), exact=())
