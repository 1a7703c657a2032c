"""view(dtype), view_as_real/view_as_complex as aliasing views, resize_ over the same storage,
in-place shape ops (unsqueeze_, squeeze_, t_, transpose_, swapaxes_, swapdims_), and torch's
strides for rot90/nonzero: compared with real torch."""
import numpy as np
import pytest
import torch

import torchjax as tj

F32 = np.arange(1, 13, dtype=np.float32).reshape(3, 4) * np.float32(1.5)
DT = {n: (getattr(torch, n), getattr(tj, n)) for n in (
    "float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32", "int64",
    "bool", "complex64", "complex128")}


def both(arr, requires_grad=False):
    a = torch.tensor(arr, requires_grad=requires_grad)
    b = tj.tensor(arr, requires_grad=requires_grad)
    return a, b


def geo(t):
    return tuple(t.shape), tuple(t.stride()), t.storage_offset()


def raw(t, lib):
    """The tensor's elements as bytes (bit-exact comparison, NaN-safe). torch's bool tensors can
    hold any byte (a float's bytes viewed as bool); ours hold 0/1, so bools compare as values."""
    if str(t.dtype) == "torch.bool":
        return np.asarray(t.detach().numpy()).reshape(-1).astype(bool)
    if lib is torch:
        return t.detach().contiguous().reshape(-1).view(torch.uint8).numpy()
    return np.ascontiguousarray(t.detach()._numpy()).reshape(-1).view(np.uint8)


def same(a, b):
    assert geo(a) == geo(b)
    assert str(a.dtype) == str(b.dtype)
    np.testing.assert_array_equal(raw(a, torch), raw(b, tj))


def same_error(fa, fb):
    with pytest.raises(Exception) as ea:
        fa()
    with pytest.raises(type(ea.value)) as eb:
        fb()
    assert str(eb.value) == str(ea.value)


def same_outputs(ps, qs, rtol=0):
    """Two scripts' outputs agree item by item (arrays to rtol, the rest exactly)."""
    assert len(ps) == len(qs)
    for p, q in zip(ps, qs):
        if isinstance(p, np.ndarray):
            np.testing.assert_allclose(q, p, rtol=rtol)
        else:
            assert p == q


def check(fa, fb):
    """Run both; same result (geometry, dtype, bytes) or the same error."""
    try:
        ra = fa()
    except Exception:
        same_error(fa, fb)
        return None, None
    rb = fb()
    same(ra, rb)
    return ra, rb


# ---------------------------------------------------------------- view(dtype)

SRC = {"float32": F32, "int16": np.arange(-6, 6, dtype=np.int16).reshape(3, 4) * 1000,
       "complex64": (F32 + 1j * F32[::-1]).astype(np.complex64),
       "uint8": np.array([[0, 1, 2, 255], [7, 0, 0, 128], [1, 1, 0, 3]], np.uint8),
       "bool": np.array([[True, False, True, True]] * 3)}
PAIRS = [("float32", d) for d in ("int32", "float16", "int8", "float64", "complex64",
                                  "complex128", "bool", "uint8", "bfloat16", "int64")] + \
        [("int16", "float16"), ("int16", "bool"), ("int16", "float32"), ("complex64", "float32"),
         ("complex64", "float64"), ("complex64", "int16"), ("uint8", "bool"), ("bool", "uint8"),
         ("bool", "int16")]


@pytest.mark.parametrize("src,dst", PAIRS)
def test_view_dtype_values_and_layout(src, dst):
    a, b = both(SRC[src])
    ra, rb = check(lambda: a.view(DT[dst][0]), lambda: b.view(DT[dst][1]))
    assert rb._is_view() is ra._is_view() is False and rb._base is None
    assert rb.requires_grad is False


LAYOUTS = {
    "t": lambda x: x.t(), "cols1": lambda x: x[:, 1:], "cols12": lambda x: x[:, 1:3],
    "cols2": lambda x: x[:, 2:], "step": lambda x: x[:, ::2], "row": lambda x: x[1],
    "0d": lambda x: x[1, 1], "empty": lambda x: x[:, :0], "expand": lambda x: x[:, :1].expand(3, 4),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dst", ["float16", "float64", "int32", "complex128", "int8"])
def test_view_dtype_layouts_and_errors(layout, dst):
    a, b = both(F32)
    f = LAYOUTS[layout]
    check(lambda: f(a).view(DT[dst][0]), lambda: f(b).view(DT[dst][1]))


def test_view_dtype_strided_errors():
    for mk in (lambda L: L.zeros(3, 5)[:, ::2][:, :2], lambda L: L.zeros(3, 5)[:, :2],
               lambda L: L.zeros(4, 6)[:, 1::2][:, :2], lambda L: L.zeros(2, 0)):
        check(lambda: mk(torch).view(torch.float64), lambda: mk(tj).view(tj.float64))


def test_view_dtype_aliases_both_ways():
    for L in (torch, tj):
        x = L.arange(4.)
        y = x.view(L.int32)
        y[0] = 7
        assert x._version == y._version == 1
        x.add_(1)
        h = x.view(L.float16)
        h[1] = 1.0
        d = x[2:].view(L.float64)
        d.mul_(2)
        if L is torch:
            ref = (x.clone(), y.clone(), h.clone(), x._version)
        else:
            np.testing.assert_array_equal(raw(x, tj), raw(ref[0], torch))
            np.testing.assert_array_equal(raw(y, tj), raw(ref[1], torch))
            np.testing.assert_array_equal(raw(h, tj), raw(ref[2], torch))
            assert x._version == ref[3]


def test_view_dtype_view_of_view_and_complex_parts():
    for L in (torch, tj):
        z = L.zeros(3, dtype=L.complex64)
        r = z.imag.view(L.int32)
        r.fill_(1065353216)  # the bits of 1.0
        out = (z.clone(), geo(r))
        if L is torch:
            ref = out
        else:
            np.testing.assert_array_equal(out[0].numpy(), ref[0].numpy())
            assert out[1] == ref[1]
    check(lambda: torch.zeros(2, dtype=torch.complex64).real.view(torch.float16),
          lambda: tj.zeros(2, dtype=tj.complex64).real.view(tj.float16))
    check(lambda: torch.zeros(4).view(torch.float32)[1:].view(torch.int64),
          lambda: tj.zeros(4).view(tj.float32)[1:].view(tj.int64))


def test_view_dtype_autograd():
    for L in (torch, tj):
        a = L.ones(2, requires_grad=True)
        outs = []
        for d in (L.float32, L.int32, L.float64, L.complex64):
            v = a.view(d)
            outs.append((v.requires_grad, v.grad_fn, v._is_view()))
        v = a.view(L.float32)
        v.add_(1)  # allowed: not a view of the leaf for autograd
        outs.append(a.detach().tolist())
        b = a * 2
        outs.append(b.view(L.float32).requires_grad)
        if L is torch:
            ref = outs
        else:
            assert outs == ref
    same_error(lambda: torch.ones(2).view(torch.float32, 2), lambda: tj.ones(2).view(tj.float32, 2))
    assert tuple(tj.ones(2).view(dtype=tj.float64).shape) == (1,)


# ---------------------------------------------------------------- view_as_real / view_as_complex

CPLX = {"plain": lambda z: z, "cols": lambda z: z[:, 1:], "t": lambda z: z.t(),
        "0d": lambda z: z[1, 2], "empty": lambda z: z[:0]}


@pytest.mark.parametrize("layout", sorted(CPLX))
def test_view_as_real_layout_and_aliasing(layout):
    za = torch.tensor(SRC["complex64"])
    zb = tj.tensor(SRC["complex64"])
    ra, rb = check(lambda: torch.view_as_real(CPLX[layout](za)),
                   lambda: tj.view_as_real(CPLX[layout](zb)))
    assert rb._is_view() and rb._base is zb
    if rb.numel():
        ra[..., 1].fill_(-9)  # the imaginary parts
        rb[..., 1].fill_(-9)
        np.testing.assert_array_equal(zb.numpy(), za.numpy())
        za.mul_(2)
        zb.mul_(2)
        same(ra, rb)


FLT = {"plain": lambda x: x.reshape(3, 2, 2), "rows": lambda x: x.reshape(6, 2)[::3],
       "offset": lambda x: x.reshape(-1)[2:10].view(4, 2),
       "odd_offset": lambda x: x.reshape(-1)[1:5].view(2, 2), "last3": lambda x: x[:, :3],
       "t": lambda x: x.reshape(6, 2).t(), "expand": lambda x: x[:, :1].expand(3, 2),
       "0d": lambda x: x[0, 0], "1d": lambda x: x[0, :2],
       "odd_stride": lambda x: x.reshape(4, 3)[:, :2], "empty": lambda x: x.reshape(6, 2)[:0]}


@pytest.mark.parametrize("layout", sorted(FLT))
def test_view_as_complex_layout_errors_aliasing(layout):
    a, b = both(F32)
    ra, rb = check(lambda: torch.view_as_complex(FLT[layout](a)),
                   lambda: tj.view_as_complex(FLT[layout](b)))
    if rb is not None:
        assert rb._is_view() and rb._base is b
        if rb.numel():
            first = (0,) * rb.dim()
            ra[first] = 5 - 7j
            rb[first] = 5 - 7j
            np.testing.assert_array_equal(b.numpy(), a.numpy())
            assert not (a == F32).all()


def test_view_as_complex_dtype_errors():
    for mk in (lambda L: L.zeros(2, dtype=L.int32), lambda L: L.zeros(()),
               lambda L: L.zeros(2, dtype=L.bfloat16), lambda L: L.zeros(3, 3)):
        same_error(lambda: torch.view_as_complex(mk(torch)), lambda: tj.view_as_complex(mk(tj)))
    same_error(lambda: torch.view_as_real(torch.zeros(2)), lambda: tj.view_as_real(tj.zeros(2)))


def test_view_as_complex_real_autograd():
    w = np.array([[1., -2.], [0.5, 3.], [2., 1.]], np.float32)
    res = []
    for L in (torch, tj):
        x = L.tensor(w, requires_grad=True)
        c = L.view_as_complex(x)
        g1 = c.grad_fn.name()
        (c.abs() ** 2 * L.tensor([1., 2., 3.])).sum().backward()
        z = L.tensor(w[:, 0] + 1j * w[:, 1], requires_grad=True)
        r = L.view_as_real(z)
        g2 = r.grad_fn.name()
        (r * L.tensor([[1., 2.], [3., 4.], [5., 6.]])).sum().backward()
        z2 = z * 1
        rv = L.view_as_real(z2)
        rv[:, 1].mul_(3)
        g3 = z2.grad_fn.name()
        (z2 * L.tensor([1 + 1j, 2, 1j])).sum().real.backward()
        res.append((x.grad.numpy(), z.grad.numpy(), g1, g2, g3))
    same_outputs(*res, rtol=1.3e-6)


def test_real_imag_views_layout_and_copyslices():
    v = np.array([1 + 2j, -3 + 0.5j, 2 - 1j, 0.25 + 4j], np.complex64).reshape(2, 2)
    res = []
    for L in (torch, tj):
        z = L.tensor(v)
        out = [geo(z.real), geo(z.imag), geo(z[:, 1].imag), geo(z.t().imag)]
        z.imag[1].fill_(7)
        z[:, 0].real.mul_(10)
        out.append(z.numpy().copy())
        out.append(geo(z.real.reshape(4)))
        a = L.tensor(v, requires_grad=True)
        b = a * 1
        b.imag.mul_(3)
        out.append(b.grad_fn.name())
        (b * L.tensor([[1 + 1j, 2], [1j, 1]])).sum().real.backward()
        out.append(a.grad.numpy())
        res.append(out)
    same_outputs(*res, rtol=1.3e-6)


# ---------------------------------------------------------------- resize_

def _resize_script(L):  # (torch refuses to grow a storage numpy() has shared: clone first)
    out = []
    x = L.arange(6.)
    v = x[1:4]
    x.resize_(2, 2)
    out += [geo(x), x._version, x.clone().numpy()]
    x[0, 0] = 100
    out.append(v.clone().numpy())
    x.resize_(6)
    out.append(x.clone().numpy())
    x.resize_(8)
    out += [geo(x), x._version, v.clone().numpy(), x[:6].clone().numpy()]
    x[1] = -1
    out.append(v.clone().numpy())
    x2 = L.arange(6.)
    v2 = x2[2:]
    v2.resize_(2)
    out += [geo(v2), v2._base is x2]
    v2.resize_(5)  # grows the shared storage past x2's end
    out += [geo(v2), tuple(x2.shape), v2[:4].clone().numpy()]
    v2[3] = 9
    out.append(x2.clone().numpy())
    d = L.zeros(4)
    dd = d.detach()
    dd.resize_(8)
    dd[0] = 3
    out += [tuple(d.shape), tuple(dd.shape), d.clone().numpy()]
    d = L.zeros(4)
    dv = d.view(2, 2)
    d.resize_(3, 3)
    d[0, 0] = 5
    out += [geo(d), geo(dv), dv.clone().numpy()]
    z = L.zeros(2, dtype=L.complex64)
    r = z.real
    r.resize_(3)
    r[2] = 4
    out += [geo(r), z.clone().numpy()]
    e = L.zeros(3)
    out += [geo(e.resize_(0)), geo(e.resize_(())), geo(e.resize_([2, 1]))]
    return out


def test_resize_keeps_storage():
    same_outputs(_resize_script(torch), _resize_script(tj))


def test_resize_errors():
    mk = [lambda L: L.ones(3, requires_grad=True), lambda L: L.ones(3, requires_grad=True) * 2,
          lambda L: L.ones(3, requires_grad=True)[:2]]
    for m in mk:
        same_error(lambda: m(torch).resize_(2), lambda: m(tj).resize_(2))
    a, b = torch.ones(3, requires_grad=True), tj.ones(3, requires_grad=True)
    with torch.no_grad(), tj.no_grad():
        same_error(lambda: a.resize_(2), lambda: b.resize_(2))
    same_error(lambda: torch.zeros(3).resize_(2, -1), lambda: tj.zeros(3).resize_(2, -1))


# ---------------------------------------------------------------- in-place shape ops

IP = [("unsqueeze_", (0,)), ("unsqueeze_", (-1,)), ("squeeze_", ()), ("squeeze_", (1,)),
      ("squeeze_", ((1, 2),)), ("squeeze_", (0,)), ("t_", ()), ("transpose_", (0, 1)),
      ("swapaxes_", (0, 1)), ("swapdims_", (0, -1))]


def _ip_script(L, name, args):
    out = []
    shape = (2, 1, 3) if name.startswith("squeeze") else (2, 3)
    x = L.arange(6.).reshape(shape)
    v = x[0]
    r = getattr(x, name)(*args)
    out += [r is x, geo(x), x._version, geo(v), v._base is x]
    x.mul_(2)  # writes through the new layout reach older views
    v.add_(1)  # and back
    out += [x.numpy().copy(), v.numpy().copy()]
    w = L.arange(6.).reshape(shape)[:, :]
    getattr(w, name)(*args)
    w.fill_(7)
    out += [geo(w), w._is_view(), w._base.numpy().copy()]
    a = L.ones(shape, requires_grad=True)
    for t in (a, a[:]):
        try:
            getattr(t, name)(*args)
        except RuntimeError as e:
            out.append(str(e))
    b = a * 2
    getattr(b, name)(*args)
    out += [geo(b), b.grad_fn.name(), b.grad_fn.next_functions[0][0].name(), b._is_view()]
    (b * L.arange(float(b.numel())).reshape(b.shape)).sum().backward()
    out.append(a.grad.numpy().copy())
    c = (a * 2)[:]
    getattr(c, name)(*args)
    out += [geo(c), c.grad_fn.name(), c._is_view()]
    d = a.detach()
    getattr(d, name)(*args)
    out += [geo(d), d.grad_fn, d.requires_grad]
    with L.no_grad():
        getattr(a, name)(*args)
    out += [geo(a), a.grad_fn, a.is_leaf]
    return out


@pytest.mark.parametrize("name,args", IP, ids=[f"{n}{a}" for n, a in IP])
def test_inplace_shape_ops(name, args):
    same_outputs(_ip_script(torch, name, args), _ip_script(tj, name, args))


def test_inplace_shape_op_errors():
    for f in (lambda L: L.zeros(2, 2, 2).t_(), lambda L: L.zeros(2, 3).squeeze_(5),
              lambda L: L.zeros(2, 3).unsqueeze_(5), lambda L: L.zeros(2, 3).transpose_(0, 5)):
        same_error(lambda: f(torch), lambda: f(tj))
    for f in (lambda L: L.zeros(3).t_(), lambda L: L.zeros(()).t_(),
              lambda L: L.zeros(()).unsqueeze_(0), lambda L: L.zeros(()).squeeze_(0),
              lambda L: L.zeros(1, 2, 1).squeeze_([0, 2]),
              lambda L: L.zeros(1, 2, 1).squeeze_(dim=(0, 2)),
              lambda L: L.zeros(2, 3).squeeze_(dim=0)):
        assert geo(f(tj)) == geo(f(torch))


def test_inplace_shape_op_saved_version():
    for L in (torch, tj):
        a = L.ones(2, 3, requires_grad=True)
        e = (a * 1).exp()
        e.t_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            e.sum().backward()


# ---------------------------------------------------------------- rot90 / nonzero strides

@pytest.mark.parametrize("k", [0, 1, 2, 3, -1])
def test_rot90_strides(k):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for dims in ((0, 1), (1, 0), (0, 2)):
        a, b = both(x, requires_grad=True)
        ra, rb = torch.rot90(a, k, dims), tj.rot90(b, k, dims)
        same(ra, rb)
        assert rb.grad_fn.name() == ra.grad_fn.name() and rb._is_view() is ra._is_view()
        w = np.arange(ra.numel(), dtype=np.float32).reshape(tuple(ra.shape))
        (ra * torch.tensor(w)).sum().backward()
        (rb * tj.tensor(w)).sum().backward()
        np.testing.assert_array_equal(b.grad.numpy(), a.grad.numpy())
    c, d = both(x)
    rc, rd = torch.rot90(c, k), tj.rot90(d, k)
    rc[0].fill_(-1), rd[0].fill_(-1)  # views of a strided result write the right elements
    rc.mul_(2), rd.mul_(2)
    same(rc, rd)


@pytest.mark.parametrize("case", range(5))
def test_nonzero_strides(case):
    x = [np.array([[0, 1, 0], [1, 1, 0]]), np.array([0, 3, 0, 5]), np.array(3), np.array(0),
         np.ones((2, 3, 2))][case]
    a, b = both(x)
    same(torch.nonzero(a), tj.nonzero(b))
    same(torch.argwhere(a), tj.argwhere(b))
    for p, q in zip(torch.nonzero(a, as_tuple=True), tj.nonzero(b, as_tuple=True)):
        same(p, q)
        assert q._is_view() is p._is_view()


# ---------------------------------------------------------------- as_strided / as_strided_

AS = [((2, 2), (1, 2), None), ((2,), (2,), 1), ((3, 2), (1, 1), 2), ((0, 3), (3, 1), None),
      ((3,), (1,), 4), ((2, 2), (1,), None), ((2,), (-1,), None)]


@pytest.mark.parametrize("args", AS, ids=[str(a) for a in AS])
@pytest.mark.parametrize("src", ["root", "view"])
def test_as_strided(args, src):
    x = np.arange(6, dtype=np.float32)
    a, b = both(x)
    pick = (lambda t: t) if src == "root" else (lambda t: t[1:])
    ra, rb = check(lambda: torch.as_strided(pick(a), *args), lambda: tj.as_strided(pick(b), *args))
    if rb is None:
        return
    assert rb._base is b and rb._is_view()
    if rb.numel() and src == "root":
        ra.fill_(-1) if ra.is_contiguous() or ra.numel() < 4 else None
        rb.fill_(-1) if rb.is_contiguous() or rb.numel() < 4 else None
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    ga, gb = both(x, requires_grad=True)
    oa, ob = (pick(ga * 1)).as_strided(*args), (pick(gb * 1)).as_strided(*args)
    assert ob.grad_fn.name() == oa.grad_fn.name()
    w = np.arange(1, oa.numel() + 1, dtype=np.float32).reshape(tuple(oa.shape))
    (oa * torch.tensor(w)).sum().backward()
    (ob * tj.tensor(w)).sum().backward()
    np.testing.assert_array_equal(gb.grad.numpy(), ga.grad.numpy())


def test_as_strided_inplace():
    for args in AS[:2] + [((3,), (1,), 2)]:
        same_outputs(_ip_script(torch, "as_strided_", args), _ip_script(tj, "as_strided_", args))
    for args in (((3,), (1,), 2), ((3,), (1,), 5)):
        same_error(lambda: torch.zeros(4).as_strided_(*args),
                   lambda: tj.zeros(4).as_strided_(*args))


# ------------------------------------------------------- as_strided_copy / as_strided_scatter

@pytest.mark.parametrize("args", AS, ids=[str(a) for a in AS])
@pytest.mark.parametrize("src", ["root", "view"])
def test_as_strided_copy(args, src):
    x = np.arange(6, dtype=np.float32)
    a, b = both(x)
    pick = (lambda t: t) if src == "root" else (lambda t: t[1:])
    ra, rb = check(lambda: torch.as_strided_copy(pick(a), *args),
                   lambda: tj.as_strided_copy(pick(b), *args))
    if rb is None:
        return
    assert rb._base is None and not rb._is_view()
    rb.fill_(-1) if rb.numel() else None  # a fresh tensor: the input keeps its values
    np.testing.assert_array_equal(b.numpy(), x)
    ga, gb = both(x, requires_grad=True)
    oa, ob = torch.as_strided_copy(pick(ga * 1), *args), tj.as_strided_copy(pick(gb * 1), *args)
    assert ob.grad_fn.name() == oa.grad_fn.name() == "AsStridedBackward0_copy"
    w = np.arange(1, oa.numel() + 1, dtype=np.float32).reshape(tuple(oa.shape))
    (oa * torch.tensor(w)).sum().backward()
    (ob * tj.tensor(w)).sum().backward()
    np.testing.assert_array_equal(gb.grad.numpy(), ga.grad.numpy())


def test_as_strided_copy_out():
    oa, ob = torch.empty(0), tj.empty(0)
    ra = torch.as_strided_copy(torch.arange(6.), (2, 2), (1, 2), 1, out=oa)
    rb = tj.as_strided_copy(tj.arange(6.), (2, 2), (1, 2), 1, out=ob)
    assert ra is oa and rb is ob
    same(oa, ob)


SCAT = [((1,), (), (), 0), ((3, 3), (2, 2), (1, 2), 0), ((3, 3), (2, 2), (1, 2), 1),
        ((3, 3), (2, 2), (2, 1), None), ((16,), (2, 1, 1, 2), (1, 2, 4, 8), 0),
        ((2, 3), (0, 2), (1, 1), 6), ((3, 3), (2, 2), (0, 0), 0), ((3, 3), (2, 2), (1,), 0),
        ((3, 3), (2,), (-1,), 2), ((4, 4), (2, 2), (200, 200), 0), ((3, 3), (2, 3), (1, 2), 1)]


def _scat_value(a, b):
    assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(np.asarray(b.detach().numpy()), a.detach().numpy())


@pytest.mark.parametrize("case", SCAT, ids=[str(c) for c in SCAT])
def test_as_strided_scatter(case):
    shape, size, stride, off = case
    g = np.random.default_rng(3)
    x = g.standard_normal(shape).astype(np.float32)
    s = g.standard_normal(size if len(size) == len(stride) else (2, 2)).astype(np.float32)
    if case[-1] == 1 and size == (2, 3):
        s = g.standard_normal((2, 3)).astype(np.float32)
    ta, tb = both(x, requires_grad=True)
    sa, sb = both(s, requires_grad=True)
    try:
        ra = torch.as_strided_scatter(ta, sa, size, stride, off)
    except Exception:
        same_error(lambda: torch.as_strided_scatter(ta, sa, size, stride, off),
                   lambda: tj.as_strided_scatter(tb, sb, size, stride, off))
        return
    rb = tj.as_strided_scatter(tb, sb, size, stride, off)
    _scat_value(ra, rb)
    assert rb.grad_fn.name() == ra.grad_fn.name() == "AsStridedScatterBackward0"
    rb.fill_(0)  # fresh storage
    np.testing.assert_array_equal(tb.detach().numpy(), x)
    # torch's gradient: input's is grad AT the scattered positions (as_strided_scatter_backward)
    w = g.standard_normal(shape).astype(np.float32)
    ga = torch.autograd.grad((ra * torch.tensor(w)).sum(), (ta, sa))
    gb = tj.autograd.grad((tj.as_strided_scatter(tb, sb, size, stride, off) * tj.tensor(w)).sum(),
                          (tb, sb))
    for p, q in zip(ga, gb):
        _scat_value(p, q)


def test_as_strided_scatter_layouts_and_dtypes():
    x = np.arange(9, dtype=np.float32).reshape(3, 3)
    a, b = both(x)
    # the result keeps input's layout over a copy of its whole storage (gaps, offset included);
    # an overlapping (expanded) input is written as a contiguous clone
    picks = (lambda t: t.t(), lambda t: t[:, :2], lambda t: t[::2], lambda t: t[1:],
             lambda t: t[:, 1], lambda t: t.t()[:2], lambda t: t[1:, 1:],
             lambda t: t[0].expand(2, 3))
    for pick in picks:
        for n, off in ((2, 1), (1, 0), (1, 3), (3, None), (1, 8), (1, 9), (2, 4)):
            r = (lambda L, v: L.as_strided_scatter(pick(v), L.full((n,), -1.),
                                                                   (n,), (1,), off))
            try:
                ra = r(torch, a)
            except Exception:
                same_error(lambda: r(torch, a), lambda: r(tj, b))
                continue
            _scat_value(ra, r(tj, b))
    # src is cast to input's dtype
    _scat_value(torch.as_strided_scatter(a, torch.ones(2, dtype=torch.float64), (2,), (3,)),
                tj.as_strided_scatter(b, tj.ones(2, dtype=tj.float64), (2,), (3,)))
    _scat_value(a.int().as_strided_scatter(torch.full((2,), 7.9), (2,), (4,), 0),
                b.int().as_strided_scatter(tj.full((2,), 7.9), (2,), (4,), 0))
    # a non-contiguous input requiring grad: torch's internal assert
    ga, gb = both(x, requires_grad=True)
    with pytest.raises(RuntimeError, match="only supported for contiguous inputs"):
        torch.as_strided_scatter(ga.t(), torch.zeros(2), (2,), (1,))
    with pytest.raises(RuntimeError, match="only supported for contiguous inputs"):
        tj.as_strided_scatter(gb.t(), tj.zeros(2), (2,), (1,))


@pytest.mark.parametrize("off", [None, 3, 4, 7])
def test_as_strided_scatter_grad_of_offset_input(off):
    """A contiguous view with a storage offset: torch's forward writes at storage positions, its
    backward reads grad.contiguous() at the same positions counted from 0."""
    outs = []
    for L in (torch, tj):
        x = L.tensor(np.arange(9, dtype=np.float32), requires_grad=True)
        s = L.tensor(np.array([10., 20.], np.float32), requires_grad=True)
        v = x[3:]
        r = L.as_strided_scatter(v, s, (2,), (1,), off)
        w = L.tensor(np.arange(1, 7, dtype=np.float32))
        try:
            g = L.autograd.grad((r * w).sum(), (x, s))
        except Exception as e:  # noqa: BLE001
            g = (type(e).__name__, str(e))
        outs.append((np.asarray(r.detach().numpy()), [np.asarray(t.numpy()) for t in g]
                     if not isinstance(g[0], str) else g))
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    if isinstance(outs[0][1], tuple):
        assert outs[1][1] == outs[0][1]
    else:
        for p, q in zip(outs[0][1], outs[1][1]):
            np.testing.assert_array_equal(q, p)


# ---------------------------------------------------------------- views torch refuses to write

REFUSED = {
    "unbind": lambda L, b: b.unbind(0)[1].add_(1),
    "split": lambda L, b: b.split(1)[1].add_(1),
    "chunk": lambda L, b: b.chunk(2)[0].mul_(2),
    "split_sizes": lambda L, b: b.split([1, 1])[1].t_(),
    "nested": lambda L, b: b.unbind(0)[1][0].add_(1),
    "leaf_unbind": lambda L, b: b.detach().requires_grad_().unbind(0)[1].add_(1),
    "plain_unbind_rg_other": lambda L, b: L.ones(2, 3).unbind(0)[1].add_(b[0]),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_multi_output_views_refuse_inplace(case):
    def run(L):
        a = L.ones(2, 3, requires_grad=True)
        return REFUSED[case](L, a * 2)
    same_error(lambda: run(torch), lambda: run(tj))


def test_no_grad_views_refuse_inplace():
    def run(L, op, inner=False):
        a = L.ones(2, 3, requires_grad=True)
        b = a * 2
        with L.no_grad():
            v = b[:]
        if inner:
            with L.no_grad():
                return op(v).tolist()
        return op(v)
    for op in (lambda v: v.add_(1), lambda v: v.t_(), lambda v: v.unsqueeze_(0)):
        same_error(lambda: run(torch, op), lambda: run(tj, op))
        assert run(tj, op, True) == run(torch, op, True)
    for L in (torch, tj):  # no_grad view of a plain tensor: fine unless the write needs grad
        x = L.ones(3)
        with L.no_grad():
            u = x[:]
        u.add_(1)
    same_error(lambda: _plain_nograd(torch), lambda: _plain_nograd(tj))
    for L in (torch, tj):  # multi-output views of plain tensors take plain writes
        assert L.ones(2, 3).unbind(0)[1].add_(1).tolist() == [2.0] * 3


def _plain_nograd(L):
    x = L.ones(3)
    with L.no_grad():
        u = x[:]
    u.add_(L.ones(3, requires_grad=True))


def test_saved_tensor_descriptions_after_metadata_change():
    def run(L, which):
        a = L.ones(2, 3, requires_grad=True)
        if which == "output":
            e = (a * 1).exp()
            e.t_()
            e.sum().backward()
        else:
            c = a * 1
            y = c * c
            c.t_()
            y.sum().backward()
    for which in ("output", "input"):
        same_error(lambda: run(torch, which), lambda: run(tj, which))


def _strided_autograd_script(L):
    w = np.arange(12, dtype=np.float32).reshape(3, 4) / 4
    out = []
    a = L.tensor(w, requires_grad=True)
    r = L.rot90(a * 1, 1)  # strided, not a view: writes through its views become CopySlices
    r[1].mul_(3)
    out.append(r.grad_fn.name())
    v = r[:, 1]
    r.add_(1)
    out.append(v.grad_fn.name())
    (r * L.arange(12.).reshape(4, 3)).sum().backward(retain_graph=True)
    out.append(a.grad.tolist())
    a.grad = None
    (v * L.tensor([1., 2., 3., 4.])).sum().backward()
    out.append(a.grad.tolist())
    b = L.tensor(w, requires_grad=True)
    c = (b * 2)[:]
    c.t_()
    c[0].mul_(5)
    out.append((c.grad_fn.name(), c._base.grad_fn.name()))
    (c._base * L.arange(12.).reshape(3, 4)).sum().backward()
    out.append(b.grad.tolist())
    d = L.tensor(w, requires_grad=True)
    e = d * 1
    e.unsqueeze_(0)
    e.mul_(2)
    e.squeeze_()
    f = e.t()
    e.add_(1)
    out.append((e.grad_fn.name(), f.grad_fn.name(), tuple(f.shape), f.stride()))
    (f * 1).sum().backward()
    out.append(d.grad.tolist())
    x = L.zeros(4)
    y = x.view(L.int32)
    y.t_()
    out.append((tuple(y.shape), y.stride()))
    z = L.zeros(2, 3, dtype=L.complex64)
    rr = L.view_as_real(z)
    rr.transpose_(0, 1)
    rr[0, 1, 1] = 5
    out.append(z.tolist())
    return out


def test_strided_layouts_under_autograd():
    assert _strided_autograd_script(tj) == _strided_autograd_script(torch)


# ---------------------------------------------------------------- set_

def _set_script(L):
    out = []
    src = L.arange(6.)
    x = L.zeros(2)
    x.set_(src)
    x[0] = 9
    out += [geo(x), src.tolist(), x._is_view()]
    y = L.zeros(2)
    y.set_(src.untyped_storage(), 2, (2, 2), (1, 2))
    out += [geo(y), y.tolist()]
    y[1, 1] = -1
    out.append(src.tolist())
    z = L.zeros(2)
    z.set_(src.untyped_storage())
    w = L.zeros(2)
    w.set_(src, 1, (3,))
    out += [geo(z), geo(w), w.tolist(), geo(L.zeros(2).set_())]
    i = L.zeros(2, dtype=L.int32)
    i.set_(src.untyped_storage(), 0, (3,))
    out += [geo(i), i.tolist(), geo(L.zeros(1).set_(src[1:]))]
    with L.no_grad():
        out.append(geo(L.ones(2, requires_grad=True).set_(src)))
    return out


def test_set_():
    assert _set_script(tj) == _set_script(torch)
    for f in (lambda L: L.zeros(2, dtype=L.int32).set_(L.zeros(2)),
              lambda L: L.zeros(2, dtype=L.float16).set_(L.zeros(2, dtype=L.int64)),
              lambda L: L.ones(2, requires_grad=True).set_(L.zeros(2)),
              lambda L: L.zeros(1).set_(L.zeros(6), 0, (2, 2), (1,))):
        same_error(lambda: f(torch), lambda: f(tj))


def _complex_views_regen_script(L):
    out = []
    z = L.tensor(np.array([1 + 2j, 3 - 1j, 0.5 + 0.5j], np.complex64), requires_grad=True)
    z2 = z * 1
    rv = L.view_as_real(z2)
    s = rv[1]
    re = z2.real
    z2.mul_(2)  # views re-derived after the write: view_as_real replays itself, others as_strided
    out.append((rv.grad_fn.name(), s.grad_fn.name(), re.grad_fn.name()))
    (rv * L.tensor([[1., 2.], [3., 4.], [5., 6.]])).sum().backward()
    out.append(z.grad.tolist())
    z.grad = None
    z3 = z * 1
    r3 = L.view_as_real(z3[1:])
    r3.mul_(3)
    out.append((r3.grad_fn.name(), z3.grad_fn.name()))
    (r3 * L.tensor([[1., 2.], [3., 4.]])).sum().backward()
    out.append(z.grad.tolist())
    x = L.tensor(np.arange(6, dtype=np.float32).reshape(3, 2), requires_grad=True)
    x2 = x * 1
    c = L.view_as_complex(x2)
    c1 = c[1:]
    x2.mul_(2)
    out.append((c.grad_fn.name(), c1.grad_fn.name()))
    (c * L.tensor([1j, 2, 3 + 1j])).sum().real.backward()
    out.append(x.grad.tolist())
    x.grad = None
    x2 = x * 1
    c = L.view_as_complex(x2)
    c.mul_(2)
    out.append((c.grad_fn.name(), x2.grad_fn.name()))
    (x2 * L.tensor([[1., 2.], [3., 4.], [5., 6.]])).sum().backward()
    out.append(x.grad.tolist())
    return out


def test_complex_views_regenerated_after_inplace():
    assert _complex_views_regen_script(tj) == _complex_views_regen_script(torch)


@pytest.mark.parametrize("offset", [None, 0, 3, 10])
def test_as_strided_of_a_partial_view_reads_the_whole_storage(offset):
    """torch's as_strided addresses the storage, not the view: a view of elements 5..14 can
    reach elements 0..19; the gradient reaches only the view's own elements."""
    out = []
    for m in (torch, tj):
        b = m.arange(20.0, requires_grad=True)
        x = b.as_strided((10,), (1,), 5)
        kw = {} if offset is None else {"storage_offset": offset}
        y = x.as_strided((2, 2), (1, 2), **kw)
        (y * y).sum().backward()
        c = m.arange(20.0)[5:15]
        c.as_strided_((2, 2), (1, 2), **kw)
        out.append((y.tolist(), b.grad.tolist(), c.tolist(), type(y.grad_fn).__name__))
    assert out[0] == out[1]
