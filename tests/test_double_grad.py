"""Gradients computed with create_graph=True against real torch: the grad_fn name of each op's
derivative formula, and whether the gradient requires grad at all (a gradient that reads no
input differentiably, like sum's or neg's, does not, so a second grad through it fails)."""
import warnings

import pytest
import torch

import torchjax as tj

X = [[0.3, 0.6, 0.8], [0.45, 0.7, 0.25]]
Y = [[0.2, 0.5, 0.9], [0.1, 0.7, 0.35]]

CASES = [
    "x.tanh()", "x.sigmoid()", "x.exp()", "x.sin()", "x.cos()", "x.log()", "x.sqrt()", "x.rsqrt()",
    "x.abs()", "x.relu()", "x.reciprocal()", "x.square()", "x * y", "x / y", "x ** 3", "x.pow(2)",
    "F.softplus(x)", "F.gelu(x)", "F.silu(x)", "F.elu(x)", "F.leaky_relu(x)", "F.hardtanh(x)",
    "F.logsigmoid(x)", "x.log_softmax(1)", "x.softmax(1)", "F.mse_loss(x, y)",
    "F.smooth_l1_loss(x, y)", "F.binary_cross_entropy(x, y)", "x.logsumexp(1)", "x.var()",
    "x.std()", "x.prod()", "torch.special.erfcx(x)",
    # gradients that do not require grad in torch
    "x.sum()", "x.mean()", "-x", "x.t()", "x.clone()", "x.floor()", "x.round()", "x.sign()",
    "x.amax(1)", "x.sort(1)[0]", "x.cumsum(1)", "x.nansum()", "x.diagonal()", "x.squeeze()",
    "x @ y.t()", "F.linear(x, y)", "x.tril()", "x.triu()", "x.trace()", "x.nan_to_num()",
    "torch.fft.irfft(x)", "torch.fft.hfft(x)", "x.deg2rad()", "x.amin(1)",
]


def _run(m, expr):
    x = m.tensor(X, requires_grad=True)
    y = m.tensor(Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = eval(expr, {"x": x, "y": y, "torch": m, "F": m.nn.functional})
    (g,) = m.autograd.grad(out.sum(), x, create_graph=True)
    second = None
    if g.requires_grad:
        (second,) = m.autograd.grad(g.sum(), x, allow_unused=True)
    return g, second


@pytest.mark.parametrize("expr", CASES)
def test_create_graph_like_torch(expr):
    g, s = _run(tj, expr)
    tg, ts = _run(torch, expr)
    assert g.requires_grad == tg.requires_grad
    assert (g.grad_fn.name() if g.grad_fn else None) == (tg.grad_fn.name() if tg.grad_fn else None)
    assert torch.allclose(torch.tensor(g.detach().numpy()), tg.detach(), rtol=1e-5, atol=1e-6)
    if ts is not None:
        assert s is not None
        assert torch.allclose(torch.tensor(s.numpy()), ts, rtol=1e-4, atol=1e-5)


def test_second_grad_through_a_linear_gradient_fails_like_torch():
    for m in (torch, tj):
        x = m.ones(3, requires_grad=True)
        (g,) = m.autograd.grad(x.sum(), x, create_graph=True)
        with pytest.raises(RuntimeError, match="does not require grad"):
            m.autograd.grad(g.sum(), x)


@pytest.mark.parametrize("inplace", [False, True])
def test_hardsigmoid_gradient_has_torchs_not_implemented_node(inplace):
    """torch defines no derivative for hardsigmoid_backward: the gradient requires grad through a
    NotImplemented node, and differentiating it again raises."""
    seen = []
    for m in (torch, tj):
        x = m.tensor(X, requires_grad=True)
        y = m.nn.functional.hardsigmoid(x * 1, inplace=inplace)
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        names = [type(n).__name__ for n, _ in g.grad_fn.next_functions if n is not None]
        with pytest.raises(RuntimeError) as e:
            g.sum().backward()
        seen.append((type(g.grad_fn).__name__, g.requires_grad, names, str(e.value), g.tolist()))
    assert seen[0] == seen[1]
