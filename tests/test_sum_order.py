"""Float sums and means are bit-identical to torch's CPU kernels (torchjax/_ops/_cascade.py):
same summation order over every dimension layout, dtype and thread split."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import torchjax as tj
from torchjax._tensor import wrap

RNG = np.random.default_rng(7)


def _same(r, g):
    """Bitwise equality (so -0 vs +0 counts; NaNs only by position), shape and dtype included."""
    r = r.detach()
    assert str(g.dtype) == str(r.dtype) and tuple(g.shape) == tuple(r.shape)
    if r.dtype == torch.bfloat16:
        r, g = r.float(), g.float()
    a, b = np.atleast_1d(r.numpy()), np.atleast_1d(g.detach().numpy())
    assert np.array_equal(np.isnan(a), np.isnan(b))
    a, b = np.where(np.isnan(a), 0, a), np.where(np.isnan(b), 0, b)
    assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), \
        f"{(a != b).mean():.3f} of elements differ"


def _pair(shape, dtype=torch.float32, scale=3.0):
    t = (torch.from_numpy(RNG.standard_normal(shape)) * scale).to(dtype)
    if dtype.is_complex:
        t = t + 1j * (torch.from_numpy(RNG.standard_normal(shape)) * scale).to(dtype)
    if dtype == torch.bfloat16:    # (numpy has no bfloat16; the float32 copy is exact)
        return t, tj.tensor(t.float().numpy()).to(tj.bfloat16)
    return t, tj.tensor(t.numpy(), dtype=getattr(tj, str(dtype).split(".")[1]))


SHAPES = [(5,), (16,), (100,), (4096,), (33000,), (100003,), (3, 7), (64, 64), (9, 33), (7, 300),
          (1031, 1029), (2, 3, 4), (5, 1, 40), (8, 17, 9), (3, 70, 50), (40, 3, 2, 45), (200, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_float32_sum_every_dim_set(shape):
    t, j = _pair(shape)
    nd = len(shape)
    combos = [c for r in range(1, nd + 1) for c in itertools.combinations(range(nd), r)]
    if nd > 2:
        combos = combos[::2]
    _same(t.sum(), j.sum())
    for c in combos:
        _same(t.sum(c), j.sum(c))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16, torch.complex64,
                                   torch.complex128], ids=str)
@pytest.mark.parametrize("shape,dims", [((100003,), None), ((64, 64), (0,)), ((64, 64), (1,)),
                                        ((40, 3, 45), (0, 2)), ((3, 70, 50), (0, 1)),
                                        ((9, 33), (1,)), ((7, 5), (0,))], ids=str)
def test_other_dtypes(dtype, shape, dims):
    t, j = _pair(shape, dtype)
    _same(t.sum() if dims is None else t.sum(dims), j.sum() if dims is None else j.sum(dims))


@pytest.mark.parametrize("shape,dims", [((1031, 1029), None), ((1031, 1029), (1,)),
                                        ((3, 70, 50), (0, 2)), ((100003,), None)], ids=str)
def test_mean_nansum_and_losses(shape, dims):
    t, j = _pair(shape)
    kw = {} if dims is None else {"dim": dims}
    _same(t.mean(**kw), j.mean(**kw))
    _same(t.mean(**kw, keepdim=True) if dims else t.mean(), j.mean(**kw, keepdim=True) if dims
          else j.mean())
    _same(t.half().mean(**kw), j.half().mean(**kw))
    tn, jn = t.clone(), j.clone()
    tn[..., ::7] = float("nan")
    jn[..., ::7] = float("nan")
    _same(torch.nansum(tn, **kw), tj.nansum(jn, **kw))
    _same(torch.nanmean(tn, **kw), tj.nanmean(jn, **kw))
    F, G = torch.nn.functional, tj.nn.functional
    _same(F.mse_loss(t, t * 0.5), G.mse_loss(j, j * 0.5))
    _same(F.l1_loss(t, t * 0.3, reduction="sum"), G.l1_loss(j, j * 0.3, reduction="sum"))


@pytest.mark.parametrize("threads", [1, 3, 4])
def test_thread_count_sets_the_split(threads):
    """torch splits full sums of >= 32768 elements into one chunk per thread."""
    t, j = _pair((200001,))
    before, mine = torch.get_num_threads(), tj.get_num_threads()
    try:
        torch.set_num_threads(threads)
        tj.set_num_threads(threads)
        assert tj.get_num_threads() == threads
        _same(t.sum(), j.sum())
        _same(t.mean(), j.mean())
    finally:
        torch.set_num_threads(before)
        tj.set_num_threads(mine)


def test_default_thread_count_is_torchs():
    assert tj.get_num_threads() == torch.get_num_threads()
    with pytest.raises(RuntimeError, match="positive integer"):
        tj.set_num_threads(0)


def test_signed_zero_empty_and_scalars():
    for vals in ([-0.0], [-0.0, -0.0], [[-0.0, -0.0]] * 3):
        t, j = torch.tensor(vals), tj.tensor(vals)
        _same(t.sum(), j.sum())
        _same(t.sum(-1), j.sum(-1))
    _same(torch.tensor(-0.0).sum(), tj.tensor(-0.0).sum())
    _same(torch.zeros(0, 3).sum(0), tj.zeros(0, 3).sum(0))
    _same(torch.zeros(0, 3).mean(), tj.zeros(0, 3).mean())
    _same(torch.zeros(4, 0).sum(), tj.zeros(4, 0).sum())
    t, j = _pair((5, 1, 40))
    _same(t.sum(1), j.sum(1))   # a size-1 reduced dim: no reduction, but -0 becomes +0


def test_gradients_and_tracing():
    t, j = _pair((300, 70))
    t.requires_grad_(), j.requires_grad_()
    (t.sum(0) * torch.arange(70.)).sum().backward()
    (j.sum(0) * tj.arange(70.)).sum().backward()
    _same(t.grad, j.grad)
    gt = torch.autograd.grad(t.mean(1).pow(2).sum(), t, create_graph=True)[0]
    gj = tj.autograd.grad(j.mean(1).pow(2).sum(), j, create_graph=True)[0]
    _same(gt, gj)
    _same(torch.autograd.grad(gt.sum(), t)[0], tj.autograd.grad(gj.sum(), j)[0])
    # inside a user's jax.jit the same order is traced
    x = t.detach().numpy()
    r = jax.jit(lambda a: (wrap(a).sum(0)._value, wrap(a).mean()._value))(jnp.asarray(x))
    _same(t.sum(0), tj.from_numpy(np.asarray(r[0])))
    _same(t.mean(), tj.from_numpy(np.asarray(r[1])))


@pytest.mark.parametrize("name,kw", [("kl_div", {"reduction": "batchmean"}),
                                     ("smooth_l1_loss", {}), ("huber_loss", {"delta": 0.5}),
                                     ("l1_loss", {})])
def test_losses_reduce_like_torch(name, kw):
    """Losses whose elementwise part is plain arithmetic (kl_div's targets are 0 or 1, where
    xlogy is exactly 0), so the reduction alone decides the bits."""
    t, j = _pair((300, 77), scale=1.0)
    tt, jt = _pair((300, 77), scale=1.0)
    if name == "kl_div":
        tt = (tt > 0).float()
        jt = tj.from_numpy(tt.numpy())
    _same(getattr(torch.nn.functional, name)(t, tt, **kw),
          getattr(tj.nn.functional, name)(j, jt, **kw))


@pytest.mark.parametrize("shape,bshape", [((64, 30), (20,)), ((1000, 30), (20,)),
                                          ((8, 50, 30), (20,)), ((300, 30), (1, 20)),
                                          ((7, 30), ()), ((40, 30), (40, 20))], ids=str)
def test_linear_bias_gradient_is_torchs_sum_to(shape, bshape):
    """The engine's sum_to reduces a broadcast bias's gradient with torch's sum. A given
    output gradient keeps matmul rounding out of the bias gradient."""
    a = RNG.standard_normal(shape).astype(np.float32)
    w = RNG.standard_normal((20, 30)).astype(np.float32)
    b = RNG.standard_normal(bshape).astype(np.float32)
    g = RNG.standard_normal(shape[:-1] + (20,)).astype(np.float32)
    grads = []
    for m in (torch, tj):
        bias = m.tensor(b, requires_grad=True)
        y = m.nn.functional.linear(m.tensor(a), m.tensor(w), bias)
        y.backward(m.tensor(g))
        grads.append(bias.grad)
    _same(*grads)
    tb = torch.tensor(b, requires_grad=True)
    jb = tj.tensor(b, requires_grad=True)
    gt = torch.autograd.grad(torch.nn.functional.linear(torch.tensor(a), torch.tensor(w), tb),
                             tb, torch.tensor(g), create_graph=True)[0]
    gj = tj.autograd.grad(tj.nn.functional.linear(tj.tensor(a), tj.tensor(w), jb),
                          jb, tj.tensor(g), create_graph=True)[0]
    _same(gt, gj)


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("sa,sb", [((300, 70), (70,)), ((300, 70), (300, 1)),
                                   ((8, 50, 30), (50, 1)), ((64,), ())], ids=str)
def test_broadcast_operand_gradient_is_torchs_sum_to(op, sa, sb):
    """A broadcast operand's gradient: the full-shape gradient (materialised: a product fused
    into the sum's adds would become an FMA), then torch's sum_to."""
    a = RNG.standard_normal(sa).astype(np.float32)
    b = RNG.standard_normal(sb).astype(np.float32)
    g = RNG.standard_normal(np.broadcast_shapes(sa, sb)).astype(np.float32)
    grads = []
    for m in (torch, tj):
        x, y = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
        getattr(m, op)(x, y).backward(m.tensor(g))
        grads.append((x.grad, y.grad))
    _same(grads[0][0], grads[1][0])
    _same(grads[0][1], grads[1][1])


def test_bilinear_bias_gradient_is_torchs_sum_to():
    a, b = RNG.standard_normal((300, 5)), RNG.standard_normal((300, 6))
    w, bias = RNG.standard_normal((7, 5, 6)), RNG.standard_normal(7)
    g = RNG.standard_normal((300, 7))
    grads = []
    for m in (torch, tj):
        bt = m.tensor(bias, dtype=m.float32, requires_grad=True)
        y = m.nn.functional.bilinear(*(m.tensor(v, dtype=m.float32) for v in (a, b, w)), bt)
        y.backward(m.tensor(g, dtype=m.float32))
        grads.append(bt.grad)
    _same(*grads)


TERNARY = {
    "where": lambda m, a, b, c: m.where(c > 0, a, b),
    "addcmul": lambda m, a, b, c: m.addcmul(a, b, c, value=0.5),
    "clamp": lambda m, a, b, c: m.clamp(a, b - 1, c + 1),
}   # fmax/maximum: same values, but torch's unselected gradient is +0 where ours can be -0


@pytest.mark.parametrize("name", list(TERNARY))
@pytest.mark.parametrize("shapes", [((300, 70), (70,), (300, 1)), ((8, 50, 30), (50, 1), (30,))],
                         ids=str)
def test_more_broadcasting_ops_reduce_with_sum_to(name, shapes):
    arrs = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    g = RNG.standard_normal(np.broadcast_shapes(*shapes)).astype(np.float32)
    grads = []
    for m in (torch, tj):
        ts = [m.tensor(x, requires_grad=True) for x in arrs]
        TERNARY[name](m, *ts).backward(m.tensor(g))
        grads.append([t.grad for t in ts])
    for r, q in zip(*grads):
        assert (r is None) == (q is None)
        if r is not None:
            _same(r, q)


VAR_CASES = [((1000,), {}), ((64, 70), {"dim": 1}), ((64, 70), {"dim": 0, "keepdim": True}),
             ((8, 50, 30), {"dim": (0, 2)}), ((1, 70), {"dim": 1}), ((64, 70), {"correction": 0}),
             ((64, 70), {"dim": 1, "correction": 2}), ((5,), {"correction": 5}), ((1,), {}),
             ((100003,), {}), ((0, 3), {"dim": 0}), ((3, 40000), {"dim": 1}),
             ((40000, 2), {"dim": 0}), ((70000,), {"dim": 0})]


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("shape,kw", VAR_CASES, ids=str)
def test_var_std_are_torchs_double_precision_results(shape, kw, name, dtype):
    """torch computes float var/std in double (a full var/std from its float mean, otherwise
    Welford) and rounds once; var_mean's mean is Welford's too (sum / n rounds exact ties the
    other way). Float64: torch's sequential loops, chunked per thread for one output of 32768+
    elements. Gradients: var_backward with torch's float mean, and grad * (NaN or inf) without
    a dim when N - correction <= 0."""
    t, j = _pair(shape, dtype)
    grad = dtype in (torch.float32, torch.float64)
    t.requires_grad_(grad)
    j.requires_grad_(grad)
    rt, rj = getattr(torch, name)(t, **kw), getattr(tj, name)(j, **kw)
    rt, rj = (rt, rj) if isinstance(rt, tuple) else ((rt,), (rj,))
    for a, b in zip(rt, rj):
        _same(a, b)
    if grad and rt[0].numel():
        g = torch.from_numpy(RNG.standard_normal(tuple(rt[0].shape))).to(dtype)
        _same(torch.autograd.grad(rt[0], t, g)[0], tj.autograd.grad(rj[0], j, tj.tensor(g.numpy()))[0])


NORM_CASES = [((5,), {}), ((13,), {}), ((37,), {}), ((1000,), {}), ((32, 61), {"dim": 1}),
              ((32, 64), {"dim": 0}), ((8, 5, 7), {"dim": (1, 2)}), ((8, 5, 7), {"dim": (0, 2)}),
              ((100003,), {}), ((64, 70), {"dim": 1, "keepdim": True}),
              # size-1 dims coalesce away: (1000, 1) over dim 0 is an innermost reduction
              ((1000, 1), {"dim": 0}), ((4, 1, 37), {"dim": (1, 2)}), ((5, 1), {"dim": 1})]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("shape,kw", NORM_CASES, ids=str)
def test_vector_norm_runs_torchs_loops(shape, kw, p, dtype):
    """2-norm over the innermost dims: one 8-lane (float64: 4) accumulator of rounded squares,
    lanes folded in order, a tail of rounded squares then FMAs; otherwise (and p = 1) each
    output sums in order, one chunk per thread for a single output of 32768+ elements.
    Gradient: grad * (x / norm), the division not turned into a reciprocal multiply."""
    t, j = _pair(shape, dtype)
    t.requires_grad_(True)
    j.requires_grad_(True)
    rt, rj = torch.linalg.vector_norm(t, p, **kw), tj.linalg.vector_norm(j, p, **kw)
    _same(rt, rj)
    g = torch.from_numpy(RNG.standard_normal(tuple(rt.shape))).to(dtype)
    _same(torch.autograd.grad(rt, t, g)[0], tj.autograd.grad(rj, j, tj.tensor(g.numpy()))[0])
    if not kw:
        _same(t.norm(), j.norm())


def test_clip_grad_norm_is_torchs():
    """clip_grad_norm_: each gradient's norm and the norm of norms by torch's loops, then
    max_norm / (total + 1e-6) clamped at 1 scales every gradient."""
    grads = [RNG.standard_normal(s).astype(np.float32) for s in ((50, 30), (50,), (7, 50), (7,))]
    res = []
    for m in (torch, tj):
        ps = []
        for g in grads:
            p = m.nn.Parameter(m.zeros(g.shape))
            p.grad = m.tensor(g)
            ps.append(p)
        total = m.nn.utils.clip_grad_norm_(ps, 0.5)
        res.append([total] + [p.grad for p in ps])
    for a, b in zip(*res):
        _same(a, b)


def test_full_mean_gradient_divides_like_torch():
    """MeanBackward's g / numel is an IEEE division (XLA made it g * (1 / numel) for a 0-d g,
    1 ulp off for about a quarter of the values of g)."""
    for _ in range(20):
        x = RNG.standard_normal(300).astype(np.float32)
        g = np.float32(RNG.standard_normal())
        a, b = torch.tensor(x, requires_grad=True), tj.tensor(x, requires_grad=True)
        _same(torch.autograd.grad(a.mean(), a, torch.tensor(g))[0],
              tj.autograd.grad(b.mean(), b, tj.tensor(g))[0])
