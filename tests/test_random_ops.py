"""Random ops vs real torch: same seed -> identical bits, identical generator state after."""
import numpy as np
import pytest
import torch

import torchjax as tj

FLOATS = ["float32", "float64", "float16", "bfloat16"]
INTS = ["int64", "int32", "int16", "int8", "uint8"]


def _bytes_torch(a):
    a = a.detach().contiguous().reshape(-1)
    return a.view(torch.uint8).numpy().tobytes() if a.numel() else b""


def _bytes_tj(b):
    return np.ascontiguousarray(np.asarray(b.detach()._numpy())).tobytes()


def same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    if not isinstance(a, torch.Tensor):
        assert a == b
        return
    assert str(a.dtype) == str(b.dtype), (a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    assert _bytes_torch(a) == _bytes_tj(b), (a, b)


def check(fn, seed=0):
    """fn(T) with T = torch / torchjax after manual_seed(seed): same bits, same RNG state."""
    torch.manual_seed(seed)
    a = fn(torch)
    tj.manual_seed(seed)
    b = fn(tj)
    same(a, b)
    assert bytes(torch.get_rng_state().numpy()) == _bytes_tj(tj.get_rng_state())
    return a, b


def errs(fn, seed=0):
    torch.manual_seed(seed)
    with pytest.raises(Exception) as e1:
        fn(torch)
    tj.manual_seed(seed)
    with pytest.raises(Exception) as e2:
        fn(tj)
    assert type(e2.value) is type(e1.value), (e1.value, e2.value)
    m1, m2 = str(e1.value), str(e2.value)
    if isinstance(e1.value, TypeError):
        cut = " - got" if "invalid combination" in m1 else ", but expected"
        m1, m2 = m1.split(cut)[0], m2.split(cut)[0]
    assert m1 == m2


def dt(T, name):
    return getattr(T, name)


# ------------------------------------------------------------------ factories ----

def test_interleaved_sequence():
    check(lambda T: (T.rand(3), T.randn(20), T.randint(0, 10, (5,)), T.randperm(7),
                     T.randn(3), T.rand(17, dtype=T.float64), T.randn(5), T.randn(33),
                     T.randint(3, (2, 2)), T.normal(0., 1., (4,)), T.randn(1)))


@pytest.mark.parametrize("name", FLOATS + ["complex64", "complex128"])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (16,), (17,), (3, 5, 7)])
def test_rand_randn(name, shape):
    check(lambda T: (T.rand(shape, dtype=dt(T, name)), T.randn(*(shape or ((),)), dtype=dt(T, name)),
                     T.randn(shape, dtype=dt(T, name))))


def test_rand_call_forms_and_default_dtype():
    check(lambda T: (T.rand(2, 3), T.rand((2, 3)), T.rand([2, 3]), T.rand(size=(2, 3)),
                     T.randn(T.Size([4])), T.rand([]), T.randn(size=[19])))
    try:
        torch.set_default_dtype(torch.float64)
        tj.set_default_dtype(tj.float64)
        check(lambda T: (T.rand(5), T.randn(18)))
    finally:
        torch.set_default_dtype(torch.float32)
        tj.set_default_dtype(tj.float32)


def test_rand_requires_grad_and_out():
    a, b = check(lambda T: T.rand(3, dtype=T.float64, requires_grad=True))
    assert b.requires_grad and b.is_leaf

    def f(T):
        o = T.zeros(2, dtype=T.float64)
        r = T.randn(3, 4, out=o)
        assert r is o
        o2 = T.zeros(4, 5)
        T.rand(4, 5, out=o2.t().t())
        return o, o2
    check(f)


@pytest.mark.parametrize("name", INTS + FLOATS + ["bool"])
def test_randint_dtypes(name):
    hi = 2 if name == "bool" else 100
    check(lambda T: (T.randint(hi, (9,), dtype=dt(T, name)),
                     T.randint(0, hi, (3, 4), dtype=dt(T, name))))


def test_randint_forms_and_ranges():
    check(lambda T: (T.randint(10, (5,)), T.randint(3, 10, (5,)), T.randint(-7, 7, [2, 3]),
                     T.randint(high=4, size=(3,)), T.randint(low=2, high=9, size=(3,)),
                     T.randint(2 ** 40, (4,)), T.randint(-2 ** 62, 2 ** 62, (4,)),
                     T.randint(10, T.Size([2]))))


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "uint8", "float32", "float64",
                                  "float16", "bfloat16"])
def test_randperm(name):
    check(lambda T: [T.randperm(n, dtype=dt(T, name)) for n in (0, 1, 2, 10, 200)])


def test_randperm_default_and_out():
    def f(T):
        o = T.zeros(2, dtype=T.int64)
        T.randperm(9, out=o)
        return T.randperm(1000), o
    check(f)


# ----------------------------------------------------------------- normal ----

@pytest.mark.parametrize("name", FLOATS)
def test_normal_overloads(name):
    def f(T):
        d = dt(T, name)
        m = T.tensor([[0., 1., 2.], [3., 4., 5.]], dtype=d)
        s = T.tensor([0.5, 1., 2.], dtype=d)
        return (T.normal(m, s), T.normal(m, 2.5), T.normal(m), T.normal(1.5, s),
                T.normal(2., 3., (4, 5), dtype=d), T.normal(2., 3., size=(20,), dtype=d),
                T.normal(mean=m, std=0.5), T.normal(mean=1., std=s))
    check(f)


def test_normal_mixed_dtypes_and_broadcast():
    check(lambda T: (T.normal(T.ones(3), T.ones(3, dtype=T.float64)),
                     T.normal(T.ones(3, dtype=T.float16), T.ones(3, dtype=T.float64)),
                     T.normal(T.ones(4, 5) * 3, T.ones(5) * 2),
                     T.normal(T.ones(5), T.ones(4, 1) * 2),
                     T.normal(T.ones(20, dtype=T.complex64), 1.),
                     T.normal(T.ones(20), 2.), T.normal(1, T.ones(20, dtype=T.float16))))


def test_normal_out():
    def f(T):
        o = T.zeros(3, dtype=T.float64)
        T.normal(T.ones(3), T.ones(3), out=o)
        o2 = T.zeros(1)
        T.normal(0., 1., (4, 5), out=o2)
        return o, o2
    check(f)


# ------------------------------------------------------ bernoulli & friends ----

@pytest.mark.parametrize("name", FLOATS)
def test_bernoulli(name):
    def f(T):
        d = dt(T, name)
        p = T.tensor([[0.1, 0.5, 0.9, 0.0], [1.0, 0.3, 0.7, 0.5]], dtype=d)
        return (T.bernoulli(p), T.bernoulli(p, 0.3), p.bernoulli(), p.bernoulli(0.6),
                T.bernoulli(p, p=0.2), T.bernoulli(p.t()))
    check(f)


def test_bernoulli_inplace():
    def f(T):
        x = T.zeros(3, 4)
        x.bernoulli_(0.4)
        y = T.zeros(3, 4, dtype=T.int64).bernoulli_(T.tensor([0.2, 0.5, 0.8, 0.9]))
        z = T.zeros(3, 4, dtype=T.bool).bernoulli_(T.full((3, 4), 0.5, dtype=T.float64))
        w = T.zeros(4, 3)
        w.t().bernoulli_(T.tensor([0.2, 0.5, 0.8, 0.9]))
        v = T.zeros(4, 3)
        v[:, 1].bernoulli_()
        return x, y, z, w, v
    check(f)


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_multinomial(name):
    def f(T):
        d = dt(T, name)
        p = T.tensor([[1., 2., 3., 0., 4.], [0.5, 0.5, 0., 1., 2.], [1., 1., 1., 1., 1.]],
                     dtype=d)
        return (T.multinomial(p, 3), T.multinomial(p, 1), T.multinomial(p, 7, True),
                T.multinomial(p[0], 4), p[1].multinomial(2, replacement=True),
                T.multinomial(p.t(), 2), T.multinomial(p, 1, True),
                T.multinomial(T.tensor([0., 0., 1., 0., 0., 0.], dtype=d), 4))
    check(f)


@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_poisson(name):
    check(lambda T: (T.poisson(T.tensor([0., 0.5, 3., 9.9, 10., 55.5, 1000.],
                                        dtype=dt(T, name))),
                     T.poisson(T.full((4, 3), 4., dtype=dt(T, name)))))


def test_like():
    def f(T):
        x = T.ones(3, 7)
        xt = T.ones(5, 4, dtype=T.float64).t()
        return (T.rand_like(x), T.randn_like(x), T.randn_like(T.ones(20)), T.rand_like(xt),
                T.randn_like(xt), T.randint_like(x, 10), T.randint_like(x, 3, 10),
                T.randint_like(xt, high=5), T.randint_like(x, low=-3, high=3, dtype=T.int8),
                T.rand_like(x, dtype=T.float16), T.randn_like(T.ones(18, dtype=T.bfloat16)))
    check(f)


# ------------------------------------------------------------------- in-place ----

def _inplace_calls(T, x):
    return [lambda: x.uniform_(), lambda: x.uniform_(-2, 3), lambda: x.normal_(),
            lambda: x.normal_(1.5, 0.5), lambda: x.random_(), lambda: x.random_(7),
            lambda: x.random_(-4, 9), lambda: x.exponential_(), lambda: x.exponential_(2.5),
            lambda: x.geometric_(0.3), lambda: x.log_normal_(), lambda: x.log_normal_(0.5, 0.25),
            lambda: x.cauchy_(), lambda: x.cauchy_(1., 2.), lambda: x.bernoulli_(),
            lambda: x.bernoulli_(0.2)]


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("shape", [(5,), (4, 5)])
def test_inplace_methods(name, shape):
    def f(T):
        outs = []
        for i in range(16):
            x = T.zeros(*shape, dtype=dt(T, name))
            r = _inplace_calls(T, x)[i]()
            assert r is x
            outs.append(x)
        return outs
    check(f)


@pytest.mark.parametrize("view", ["col", "t", "step", "row"])
def test_inplace_on_views(view):
    def f(T):
        outs = []
        for i in range(16):
            base = T.zeros(6, 5, dtype=T.float64)
            v = {"col": lambda: base[:, 1], "t": lambda: base.t(),
                 "step": lambda: base[::2, 1::2], "row": lambda: base[2]}[view]()
            _inplace_calls(T, v)[i]()
            outs.append(base)
        return outs
    check(f)


def test_normal_noncontiguous_large():
    def f(T):
        a = T.zeros(8, 6)
        a.t().normal_()
        b = T.zeros(40, 3)
        b[:, 0].normal_(2., 3.)
        c = T.zeros(40, dtype=T.float16)
        c[::2].normal_()
        d = T.zeros(6, 8, dtype=T.complex64)
        d.t().normal_()
        e = T.zeros(6, 8, dtype=T.complex128)
        e[:, 1:3].uniform_()
        return a, b, c, d, e
    check(f)


@pytest.mark.parametrize("name", INTS + ["bool"])
def test_inplace_integer_dtypes(name):
    def f(T):
        d = dt(T, name)
        hi = 2 if name == "bool" else 50
        return (T.zeros(7, dtype=d).random_(), T.zeros(7, dtype=d).random_(hi),
                T.zeros(7, dtype=d).random_(0, hi), T.zeros(7, dtype=d).bernoulli_(0.5),
                T.zeros(7, dtype=d).bernoulli_(T.full((7,), 0.5)))
    check(f)


def test_inplace_int_geometric_and_full_range():
    check(lambda T: (T.zeros(6, dtype=T.int64).geometric_(0.2),
                     T.zeros(6, dtype=T.int32).geometric_(0.7),
                     T.zeros(6, dtype=T.int64).random_(-2 ** 63, None),
                     T.zeros(6, dtype=T.int64).random_(5, None),
                     T.zeros(6, dtype=T.float32).random_(5, None),
                     T.zeros(6, dtype=T.int64).random_(to=3),
                     T.zeros(6, dtype=T.int64).random_(**{"from": 2, "to": 8}),
                     T.zeros(4).uniform_(**{"from": -1, "to": 1})))


# ----------------------------------------------------------------- generators ----

def test_generator_objects():
    def f(T):
        g = T.Generator().manual_seed(123)
        x = T.zeros(4, 5)
        x[:, 2].uniform_(generator=g)
        return (T.rand(3, generator=g), T.randn(20, generator=g),
                T.randint(0, 10, (5,), generator=g), T.randperm(7, generator=g),
                T.normal(T.ones(3), 1., generator=g), T.normal(0., 1., (3,), generator=g),
                T.bernoulli(T.full((4,), 0.5), generator=g),
                T.multinomial(T.ones(5), 3, generator=g), T.poisson(T.ones(3), generator=g),
                T.rand_like(x, generator=g), T.randn_like(x, generator=g),
                T.randint_like(x, 4, generator=g), x, T.zeros(3).normal_(generator=g),
                T.zeros(3).random_(generator=g), T.zeros(3).exponential_(generator=g),
                g.get_state(), T.rand(2))
    check(f)


def test_state_roundtrip():
    def f(T):
        T.randn(3)
        s = T.get_rng_state()
        a = T.randn(5)
        T.set_rng_state(s)
        b = T.randn(5)
        return a, b, T.initial_seed()
    check(f, seed=77)


# ------------------------------------------------------------------- autograd ----

def test_autograd_rules():
    for T in (torch, tj):
        a = T.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            a.uniform_()
        with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
            a[1:].normal_()
        with T.no_grad():
            a.uniform_()
            a[1:].normal_()
        assert a.is_leaf and a.requires_grad


def test_autograd_nodes_and_zero_grads():
    names = {}
    for T in (torch, tj):
        a = T.ones(3, requires_grad=True)
        b = a * 2
        got = []
        for m, args in [("uniform_", ()), ("normal_", ()), ("random_", ()), ("random_", (5,)),
                        ("random_", (1, 5)), ("exponential_", ()), ("bernoulli_", (0.5,)),
                        ("geometric_", (0.5,)), ("log_normal_", ()), ("cauchy_", ())]:
            c = b.clone()
            getattr(c, m)(*args)
            got.append(type(c.grad_fn).__name__)
        c = b.clone()
        c[1:].uniform_()
        (g,) = T.autograd.grad(c.sum(), a)
        got.append(g.tolist())
        r = T.normal(a, 1.)
        got.append((type(r.grad_fn).__name__, T.autograd.grad(r.sum(), a)[0].tolist()))
        r = T.normal(1., a)
        got.append(type(r.grad_fn).__name__)
        r = T.normal(a, a)
        got.append(type(r.grad_fn).__name__)
        got.append(type(T.bernoulli(a * 0.2).grad_fn).__name__)
        got.append(type(T.poisson(a).grad_fn).__name__)
        got.append(type(T.ones(3).bernoulli_(a * 0.5).grad_fn).__name__)
        names[T.__name__] = got
    assert names["torch"] == names["torchjax"]


# --------------------------------------------------------------------- errors ----

ERRORS = [
    lambda T: T.rand(3, dtype=T.int64),
    lambda T: T.randn(3, dtype=T.int64),
    lambda T: T.rand(2, -1),
    lambda T: T.rand(2, 3.0),
    lambda T: T.randn((2, 3.0)),
    lambda T: T.rand(),
    lambda T: T.randint(5, 3, (2,)),
    lambda T: T.randint(10),
    lambda T: T.randint(10, 3),
    lambda T: T.randint(10., (2,)),
    lambda T: T.randint(-5, 5, (3,), dtype=T.uint8),
    lambda T: T.randint(0, 200, (3,), dtype=T.int8),
    lambda T: T.randint(3, (2,), requires_grad=True),
    lambda T: T.randperm(-1),
    lambda T: T.randperm(3000, dtype=T.float16),
    lambda T: T.randperm(20000000, dtype=T.float32),
    lambda T: T.randperm(300, dtype=T.int8),
    lambda T: T.randperm(40000, dtype=T.int16),
    lambda T: T.randperm(5, dtype=T.bool),
    lambda T: T.randperm(5, dtype=T.complex64),
    lambda T: T.normal(0., 1.),
    lambda T: T.normal(0., -1., (3,)),
    lambda T: T.normal(T.ones(3), -1.),
    lambda T: T.normal(T.ones(3), -T.ones(3)),
    lambda T: T.normal(T.ones(3), T.tensor([1., float("nan"), 1.])),
    lambda T: T.normal(T.ones(3), T.ones(3, dtype=T.complex64)),
    lambda T: T.normal(T.ones(2), T.ones(3)),
    lambda T: T.normal(T.ones(3, dtype=T.int64), 1.),
    lambda T: T.normal(1., T.ones(3, dtype=T.int64)),
    lambda T: T.bernoulli(T.ones(3, dtype=T.int64)),
    lambda T: T.bernoulli(T.tensor([0.5, 2., 0.1])),
    lambda T: T.bernoulli(T.ones(3) * 0.5, p=T.ones(3)),
    lambda T: T.ones(3).bernoulli_(1.5),
    lambda T: T.ones(3, dtype=T.complex64).bernoulli_(0.5),
    lambda T: T.ones(3, dtype=T.complex64).bernoulli_(T.ones(3) / 2),
    lambda T: T.ones(3).bernoulli_(T.ones(3, dtype=T.int64)),
    lambda T: T.ones(2, 3).bernoulli_(T.ones(2, 1, 3) * 0.5),
    lambda T: T.poisson(T.ones(3, dtype=T.int64)),
    lambda T: T.poisson(-T.ones(3)),
    lambda T: T.multinomial(T.ones(3), 4),
    lambda T: T.multinomial(T.ones(3, dtype=T.int64), 2),
    lambda T: T.multinomial(T.ones(2, 2, 2), 1),
    lambda T: T.multinomial(T.ones(3), 0),
    lambda T: T.multinomial(T.tensor([1., -1., 1.]), 2),
    lambda T: T.multinomial(T.zeros(3), 2),
    lambda T: T.multinomial(T.tensor([[1., 1.], [1., -1.]]), 3, True),
    lambda T: T.ones(3).uniform_(2, 1),
    lambda T: T.ones(3, dtype=T.int64).uniform_(),
    lambda T: T.ones(3, dtype=T.int64).normal_(),
    lambda T: T.ones(3).normal_(0, -1),
    lambda T: T.ones(3).random_(5, 2),
    lambda T: T.ones(3).random_(2.5),
    lambda T: T.ones(3, dtype=T.int8).random_(0, 200),
    lambda T: T.ones(3, dtype=T.complex64).random_(),
    lambda T: T.ones(3, dtype=T.complex64).random_(0, 5),
    lambda T: T.ones(3, dtype=T.uint32).random_(),
    lambda T: T.ones(3).geometric_(1.0),
    lambda T: T.ones(3, dtype=T.bool).geometric_(0.5),
    lambda T: T.ones(3).cauchy_(0, 0),
    lambda T: T.ones(3, dtype=T.int64).cauchy_(),
    lambda T: T.ones(3, dtype=T.complex64).cauchy_(),
    lambda T: T.ones(3).exponential_(0),
    lambda T: T.ones(3, dtype=T.int64).exponential_(),
    lambda T: T.ones(3).log_normal_(1, 0),
    lambda T: T.ones(3, dtype=T.int64).log_normal_(),
    lambda T: T.ones(3, 2).expand(2, 3, 2).uniform_(),
    lambda T: T.rand_like(T.ones(3, dtype=T.int64)),
    lambda T: T.rand(3, generator=5),
    lambda T: T.ones(3, dtype=T.float16).uniform_(-1e6, 1),
    lambda T: T.ones(3, dtype=T.float32).uniform_(-3e38, 3e38),
    lambda T: T.rand(2, 3, dtype=T.float32, out=T.empty(1, dtype=T.float64)),
    lambda T: T.ones(3).random_(0, 2.5),
    lambda T: T.normal(T.ones(3), 1., dtype=T.float64),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    errs(ERRORS[i])


def test_bad_p_consumes_earlier_draws():
    def f(T):
        try:
            T.bernoulli(T.tensor([0.5, 0.5, 2., 0.1]))
        except RuntimeError:
            pass
        return T.rand(2)
    check(f)


def test_more_forms():
    def f(T):
        o = T.zeros(5, 4)
        T.randn(4, 5, out=o.t())
        o2 = T.zeros(5, 4, dtype=T.float64)
        T.normal(1., 2., (4, 5), out=o2.t())
        m = T.zeros(2, 2, dtype=T.int64)
        T.multinomial(T.ones(2, 5), 2, out=m)
        x = T.ones(3, 4)
        return (o, o2, m, T.rand(3, device="cpu"), x.bernoulli(generator=None),
                T.randint_like(x, 5, dtype=T.float32, requires_grad=True),
                T.zeros(7, dtype=T.float16).uniform_(-3, 3),
                T.zeros(7, dtype=T.bfloat16).normal_(1, 2))
    check(f)

