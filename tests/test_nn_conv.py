"""nn.functional convolutions, fold/unfold and the Conv*/ConvTranspose*/Fold/Unfold modules
against real torch: values, dtypes, grad_fn names, gradients, errors, init and repr."""
import math
import re

import numpy as np
import pytest
import torch

import torchjax as tj

F, G = torch.nn.functional, tj.nn.functional


def to_tj(a, rg=False):
    t = tj.tensor(a.detach().numpy())
    return t.requires_grad_() if rg else t


def to_np(t):
    return np.asarray(t.detach().numpy())


def tj_kw(kw):
    return {k: to_tj(v) if isinstance(v, torch.Tensor) else v for k, v in kw.items()}


def graph(fn, depth=8):
    """The autograd graph below fn, depth levels deep: (node name, ((input's graph, its output
    index), ...)), inputs that need no gradient (None) left out."""
    if depth == 0:
        return None
    return type(fn).__name__, tuple((graph(f, depth - 1), i) for f, i in fn.next_functions
                                    if f is not None)


def chain(t):
    """Node names from t.grad_fn down, each node's first input that is not a leaf."""
    names, fn = [], t.grad_fn
    while fn is not None:
        names.append(type(fn).__name__)
        fn = next((f for f, _ in fn.next_functions
                   if f is not None and type(f).__name__ != "AccumulateGrad"), None)
    return names


def check(ft, fj, *args, grad=True, **kw):
    """Run ft on torch tensors and fj on copies; compare outputs, autograd graphs and input
    grads."""
    rg = [isinstance(a, torch.Tensor) and a.is_floating_point() and grad for a in args]
    ta = [a.detach().clone().requires_grad_(r) if isinstance(a, torch.Tensor) else a
          for a, r in zip(args, rg)]
    ja = [to_tj(a, r) if isinstance(a, torch.Tensor) else a for a, r in zip(args, rg)]
    rt, rj = ft(*ta, **kw), fj(*ja, **tj_kw(kw))
    if isinstance(rt, tuple):
        for x, y in zip(rt[1:], rj[1:]):
            assert str(x.dtype) == str(y.dtype)
            np.testing.assert_array_equal(x.numpy(), to_np(y))
        rt, rj = rt[0], rj[0]
    assert str(rt.dtype) == str(rj.dtype) and tuple(rt.shape) == tuple(rj.shape)
    torch.testing.assert_close(torch.from_numpy(to_np(rj).copy()), rt.detach(), equal_nan=True)
    if any(rg):
        assert graph(rj.grad_fn) == graph(rt.grad_fn)
        g = torch.randn_like(rt)
        rt.backward(g)
        rj.backward(to_tj(g))
        for a, b, r in zip(ta, ja, rg):
            if r:
                torch.testing.assert_close(torch.from_numpy(to_np(b.grad).copy()), a.grad)


def errors_match(ft, fj, *args, **kw):
    ja = [to_tj(a) if isinstance(a, torch.Tensor) else a for a in args]
    with pytest.raises(Exception) as et:
        ft(*args, **kw)
    with pytest.raises(type(et.value)) as ej:
        fj(*ja, **tj_kw(kw))
    assert str(ej.value) == str(et.value)


r = torch.randn


@pytest.mark.parametrize("case", [
    ("conv1d", (2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    ("conv1d", (3, 9), (4, 3, 2), dict(padding="same", dilation=3)),
    ("conv2d", (2, 4, 7, 6), (6, 2, 3, 3), dict(stride=(2, 1), padding=(1, 2), groups=2)),
    ("conv2d", (2, 3, 7, 6), (4, 3, 2, 3), dict(padding="same", dilation=(2, 1))),
    ("conv2d", (3, 7, 6), (4, 3, 3, 3), dict(padding="valid", dilation=2)),
    ("conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 1))),
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), dict(stride=3, padding=1, output_padding=2)),
    ("conv_transpose2d", (2, 4, 5, 4), (4, 3, 3, 2),
     dict(stride=2, padding=1, output_padding=1, groups=2, dilation=2)),
    ("conv_transpose2d", (4, 5, 4), (4, 2, 3, 3), dict(stride=(1, 2))),
    ("conv_transpose3d", (1, 2, 3, 4, 3), (2, 3, 2, 2, 3), dict(stride=2, padding=(0, 1, 1))),
])
def test_conv_functional(case):
    name, xs, ws, kw = case
    out_ch = ws[0] if "transpose" not in name else ws[1] * kw.get("groups", 1)
    check(getattr(F, name), getattr(G, name), r(*xs), r(*ws), r(out_ch), **kw)
    check(getattr(F, name), getattr(G, name), r(*xs), r(*ws), None, **kw)


def test_conv_torch_namespace_and_dtypes():
    x, w = r(2, 3, 6, 5, dtype=torch.float64), r(4, 3, 2, 2, dtype=torch.float64)
    check(torch.conv2d, tj.conv2d, x, w, stride=2)
    check(torch.conv1d, tj.conv1d, x[:, :, 0], w[:, :, 0])
    xi, wi = torch.randint(-3, 4, (1, 2, 5, 5)), torch.randint(-3, 4, (3, 2, 2, 2))
    check(F.conv2d, G.conv2d, xi, wi)
    b = r(4)
    check(lambda *a: torch.convolution(*a, [1, 2], [1, 0], [1, 1], False, [0, 0], 1),
          lambda *a: tj.convolution(*a, [1, 2], [1, 0], [1, 1], False, [0, 0], 1),
          x.float(), w.float(), b)


@pytest.mark.parametrize("xshape,dtype", [((1, 2, 5, 5), torch.float32),
                                          ((2, 5, 5), torch.float64)])  # batched, unbatched
def test_conv_double_backward(xshape, dtype):
    torch.manual_seed(0)  # float32 sums of random products: fixed inputs, not 1-in-8 flakes
    x, w = r(*xshape, dtype=dtype), r(3, 2, 3, 3, dtype=dtype)
    xt, wt = x.clone().requires_grad_(), w.clone().requires_grad_()
    xj, wj = to_tj(x, True), to_tj(w, True)
    gt, = torch.autograd.grad(F.conv2d(xt, wt).pow(2).sum(), xt, create_graph=True)
    gj, = tj.autograd.grad(G.conv2d(xj, wj).pow(2).sum(), xj, create_graph=True)
    torch.testing.assert_close(torch.from_numpy(to_np(gj).copy()), gt.detach())
    torch.testing.assert_close(torch.from_numpy(to_np(tj.autograd.grad(gj.sum(), wj)[0]).copy()),
                               torch.autograd.grad(gt.sum(), wt)[0])


W = r(3, 2, 3, 3)


@pytest.mark.parametrize("fn,args,kw", [
    ("conv2d", (r(2, 3), W), {}),
    ("conv2d", (r(1, 2, 6, 6), r(3, 2, 3)), {}),
    ("conv2d", (r(1, 2, 6, 6), r(3, 2, 3)), dict(padding="same")),
    ("conv_transpose2d", (r(1, 2, 6, 6), r(2, 2, 3, 3, 3)), {}),
    ("conv1d", (r(1, 2, 6, 6), W), {}),
    ("conv2d", (r(1, 3, 6, 6), W), {}),
    ("conv2d", (r(1, 2, 2, 2), W), {}),
    ("conv2d", (r(1, 4, 6, 6), W), dict(groups=2)),
    ("conv2d", (r(1, 2, 6, 6), W, r(5)), {}),
    ("conv2d", (r(1, 2, 6, 6), W), dict(stride=2, padding="same")),
    ("conv2d", (r(1, 2, 6, 6), W), dict(padding="foo")),
    ("conv2d", (r(1, 2, 6, 6), W), dict(stride=0)),
    ("conv2d", (r(1, 2, 6, 6), W), dict(padding=-1)),
    ("conv2d", (r(1, 2, 6, 6), W), dict(stride=(1, 1, 1))),
    ("conv2d", (r(1, 2, 6, 6).double(), W), {}),
    ("conv2d", (r(1, 2, 6, 6), W, r(3).double()), {}),
    ("conv_transpose2d", (r(1, 2, 6, 6), r(3, 3, 3, 3)), {}),
    ("conv_transpose2d", (r(1, 2, 6, 6), r(2, 3, 3, 3)), dict(output_padding=1)),
    ("unfold", (r(2, 3, 4), 5), {}),
    ("fold", (r(1, 5, 4), (3, 3), 2), {}),
    ("fold", (r(1, 8, 5), (3, 3), 2), {}),
    ("conv1d", (r(2, 6), r(3, 3, 2)), {}),  # unbatched: torch's messages name [1, ...]
    ("conv2d", (r(2, 2, 2), W), {}),
    ("conv1d", (r(3, 6), r(4, 3, 2), r(5)), {}),
    ("conv_transpose1d", (r(3, 6), r(3, 4, 2)), dict(output_padding=2)),  # checked as 2-d
    ("conv_transpose1d", (r(2, 3, 6), r(3, 4, 2)), dict(output_padding=2, stride=2)),
])
def test_conv_errors(fn, args, kw):
    errors_match(getattr(F, fn), getattr(G, fn), *args, **kw)


@pytest.mark.parametrize("kw", [
    dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2),
    dict(kernel_size=3),
])
def test_fold_unfold(kw):
    x = r(2, 3, 7, 8)
    check(F.unfold, G.unfold, x, **kw)
    check(F.unfold, G.unfold, x[0], **kw)
    cols = F.unfold(x, **kw)
    check(F.fold, G.fold, r(*cols.shape), (7, 8), **kw)
    check(F.fold, G.fold, r(*cols.shape[1:]), (7, 8), **kw)


def _copy_params(mt, mj):
    for k, v in mt.state_dict().items():
        getattr(mj, k).data = to_tj(v)


CTORS = [
    lambda nn: nn.Conv1d(3, 5, 2, bias=False, padding="same", dilation=3),
    lambda nn: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2),
    lambda nn: nn.Conv2d(2, 3, (2, 3), padding=(1, 2), padding_mode="reflect"),
    lambda nn: nn.Conv2d(2, 3, 3, padding="same", padding_mode="circular"),
    lambda nn: nn.Conv1d(2, 3, 3, padding=2, padding_mode="replicate"),
    lambda nn: nn.Conv3d(2, 3, (2, 1, 2), stride=(1, 2, 1)),
    lambda nn: nn.ConvTranspose1d(3, 2, 3, dilation=2),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
    lambda nn: nn.ConvTranspose3d(2, 2, 2, stride=2, bias=False),
]
INPUTS = [(2, 3, 9), (2, 4, 7, 6), (1, 2, 5, 6), (2, 5, 5), (2, 2, 7), (1, 2, 4, 5, 3),
          (2, 3, 6), (2, 4, 4, 5), (1, 2, 3, 2, 3)]


@pytest.mark.parametrize("i", range(len(CTORS)))
def test_conv_modules(i):
    torch.manual_seed(0)
    mt = CTORS[i](torch.nn)
    tj.manual_seed(0)
    mj = CTORS[i](tj.nn)
    assert repr(mt) == repr(mj)
    for (k, v), (kj, vj) in zip(mt.named_parameters(), mj.named_parameters()):
        assert k == kj
        np.testing.assert_array_equal(v.detach().numpy(), to_np(vj))  # bit-exact init
    x = r(*INPUTS[i])
    xt, xj = x.clone().requires_grad_(), to_tj(x, True)
    yt, yj = mt(xt), mj(xj)
    torch.testing.assert_close(torch.from_numpy(to_np(yj).copy()), yt.detach())
    assert type(yj.grad_fn).__name__ == type(yt.grad_fn).__name__
    g = r(*yt.shape)
    yt.backward(g)
    yj.backward(to_tj(g))
    torch.testing.assert_close(torch.from_numpy(to_np(xj.grad).copy()), xt.grad)
    for (k, v), (_, vj) in zip(mt.named_parameters(), mj.named_parameters()):
        torch.testing.assert_close(torch.from_numpy(to_np(vj.grad).copy()), v.grad)


def test_conv_transpose_output_size():
    torch.manual_seed(0)
    mt = torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    mj = tj.nn.ConvTranspose2d(2, 3, 3, stride=2)
    _copy_params(mt, mj)
    x = r(1, 2, 4, 4)
    yt, yj = mt(x, output_size=[10, 10]), mj(to_tj(x), output_size=[10, 10])
    assert tuple(yj.shape) == tuple(yt.shape) == (1, 3, 10, 10)
    torch.testing.assert_close(torch.from_numpy(to_np(yj).copy()), yt.detach())
    with pytest.raises(ValueError) as et:
        mt(x, output_size=[12, 12])
    with pytest.raises(ValueError) as ej:
        mj(to_tj(x), output_size=[12, 12])
    assert str(et.value) == str(ej.value)


@pytest.mark.parametrize("ctor", [
    lambda nn: nn.Conv2d(4, 6, 3, groups=3),
    lambda nn: nn.Conv2d(4, 6, 3, groups=4),
    lambda nn: nn.Conv2d(4, 6, 3, padding="full"),
    lambda nn: nn.Conv2d(4, 6, 3, padding="same", stride=2),
    lambda nn: nn.Conv2d(4, 6, 3, padding_mode="mirror"),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
])
def test_conv_module_errors(ctor):
    with pytest.raises(ValueError) as et:
        ctor(torch.nn)
    with pytest.raises(ValueError) as ej:
        ctor(tj.nn)
    # the messages print a set, whose order depends on the process's string hashing
    canon = lambda m: re.sub(r"\{[^}]*\}", lambda s: str(sorted(s.group(0)[1:-1].split(", "))), m)
    assert canon(str(et.value)) == canon(str(ej.value))


def test_fold_modules():
    for mt, mj, x in [(torch.nn.Unfold((2, 3), padding=1), tj.nn.Unfold((2, 3), padding=1),
                       r(2, 3, 5, 6)),
                      (torch.nn.Fold((4, 5), 2, stride=1), tj.nn.Fold((4, 5), 2, stride=1),
                       r(2, 12, 12))]:
        assert repr(mt) == repr(mj)
        check(mt, mj, x)


def test_conv_tbc():
    check(torch.conv_tbc, tj.conv_tbc, r(7, 2, 3), r(3, 3, 4), r(4), 1)
    check(F.conv_tbc, G.conv_tbc, r(5, 1, 2), r(2, 2, 3), r(3))


def test_lazy_conv_repr_and_errors():
    import torch
    import torchjax
    t, j = torch.nn.LazyConvTranspose2d(4, 3, 2), torchjax.nn.LazyConvTranspose2d(4, 3, 2)
    assert repr(t) == repr(j)
    x = torch.randn(2, 3, 5, 5)
    for lib in (torch, torchjax):  # the first forward draws the initial weights
        lib.manual_seed(0)
    yt, yj = t(x), j(torchjax.tensor(x.numpy()))
    assert type(j).__name__ == "ConvTranspose2d" and repr(t) == repr(j)
    assert abs(yj.detach().numpy() - yt.detach().numpy()).max() < 1e-5
    for lib, cls in ((torch, torch.nn.LazyConv2d), (torchjax, torchjax.nn.LazyConv2d)):
        with pytest.raises(RuntimeError) as e:
            cls(4, 3)(lib.zeros(3, 6))
        assert "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d" in str(e.value)


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv1d", (4, 9), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    ("conv1d", (3, 9), (4, 3, 2), dict(padding="same")),  # a zero-pad of the input first
    ("conv2d", (3, 7, 6), (4, 3, 2, 3), dict(padding="same", dilation=(1, 2))),
    ("conv3d", (2, 4, 5, 4), (3, 2, 2, 3, 2), dict(padding=(1, 0, 1))),
    ("conv_transpose1d", (4, 5), (4, 3, 3), dict(stride=3, padding=1, output_padding=2)),
    ("conv_transpose2d", (4, 5, 4), (4, 2, 3, 3), dict(stride=(1, 2), groups=2)),
    ("conv_transpose3d", (2, 3, 4, 3), (2, 3, 2, 2, 3), dict(stride=2)),
])
def test_unbatched_conv_graph(name, xs, ws, kw):
    """torch runs an unbatched input as a batch of one: SqueezeBackward1 <- ConvolutionBackward0
    <- (ConstantPadNdBackward0 <-) UnsqueezeBackward0; a batched one no Squeeze/Unsqueeze."""
    ft, fj = getattr(F, name), getattr(G, name)
    out_ch = ws[0] if "transpose" not in name else ws[1] * kw.get("groups", 1)
    for x in (r(*xs), r(2, *xs)):
        for b in (r(out_ch), None):
            check(ft, fj, x, r(*ws), b, **kw)  # values, the whole graph, gradients
    x, w = r(*xs), r(*ws)
    names = chain(fj(to_tj(x, True), to_tj(w, True), **kw))
    assert names == chain(ft(x.requires_grad_(), w.requires_grad_(), **kw))
    assert names[:2] == ["SqueezeBackward1", "ConvolutionBackward0"]
    assert names[-1] == "UnsqueezeBackward0"
    xb = r(1, *xs)
    names = chain(fj(to_tj(xb, True), to_tj(w, True), **kw))
    assert names == chain(ft(xb.requires_grad_(), w, **kw)) and names[0] == "ConvolutionBackward0"


