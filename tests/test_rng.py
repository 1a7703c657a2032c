"""torchjax._rng.CPUGenerator against torch's CPU generator, bit for bit.

Every check draws the same thing from both after the same seed and compares the
raw bytes of the result and then the full generator state (5056 bytes).
"""
import struct
import time
import warnings
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
import torch

from torchjax._rng import CPUGenerator
from torchjax import _rng_math as M
from torchjax._stl import topk_largest

BF16 = ml_dtypes.bfloat16
FLOATS = [(np.float32, torch.float32), (np.float64, torch.float64),
          (np.float16, torch.float16), (BF16, torch.bfloat16)]
INTS = [(np.int64, torch.int64), (np.int32, torch.int32), (np.int16, torch.int16),
        (np.int8, torch.int8), (np.uint8, torch.uint8), (np.bool_, torch.bool)]
SIZES = [1, 5, 15, 16, 17, 33, 250]
SEEDS = [0, 1, 42, -7, 2**40 + 3]

# torch's float32 randn uses AVX2 Cephes code (also on AVX512 machines), and its
# uniform_ kernels are FMA-contracted: both need an AVX2-or-better build.
needs_avx2 = pytest.mark.skipif(
    torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"),
    reason="torch kernels here are not the AVX2/FMA build")
# bernoulli_(float p) takes an MKL path on Intel CPUs.
with open("/proc/cpuinfo") as _f:
    _INTEL = "GenuineIntel" in _f.read()
not_intel = pytest.mark.skipif(_INTEL, reason="torch uses MKL bernoulli on Intel CPUs")


def np_of(t):
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(BF16)
    return t.numpy()


def check(g, torch_fn, ours_fn, seeds=SEEDS):
    """Same seed, same draw: identical bytes, dtype, shape, then identical state."""
    for s in seeds:
        torch.manual_seed(s)
        g.manual_seed(s)
        t = np.ascontiguousarray(np_of(torch_fn()))
        o = np.ascontiguousarray(ours_fn())
        assert (o.dtype, o.shape) == (t.dtype, t.shape), s
        assert o.tobytes() == t.tobytes(), f"seed {s}: values differ"
        assert g.get_state() == bytes(torch.get_rng_state().numpy()), f"seed {s}: state"


@pytest.fixture
def g():
    return CPUGenerator()


# ------------------------------------------------------------------ engine ----

def test_mt19937_reference_output():
    g = CPUGenerator(5489)  # mt19937's published first output for seed 5489
    assert g.random() == 3499211612


@pytest.mark.parametrize("seed", [0, 1, 12345, -1, -2**63, 2**64 - 1, 2**32 + 5, 67280421310721])
def test_manual_seed_state(g, seed):
    torch.manual_seed(seed)
    g.manual_seed(seed)
    assert g.initial_seed() == torch.initial_seed()
    assert g.get_state() == bytes(torch.get_rng_state().numpy())


def test_manual_seed_overflow(g):
    for bad in (2**64, -2**63 - 1):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            torch.manual_seed(bad)
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            g.manual_seed(bad)


def test_default_generator_state():
    assert CPUGenerator().get_state() == bytes(torch.Generator().get_state().numpy())
    assert CPUGenerator().initial_seed() == torch.Generator().initial_seed()


def test_seed_is_nondeterministic(g):
    s = g.seed()
    assert 0 <= s < 2**64 and g.initial_seed() == s
    assert g.get_state() == CPUGenerator(s).get_state()


def test_random64_full_range(g):
    check(g, lambda: torch.empty(1000, dtype=torch.int64).random_(-2**63, None),
          lambda: np.array([g.random64() for _ in range(1000)], np.uint64).view(np.int64))


def test_manual_seed_clears_cached_normal(g):
    for s in SEEDS:
        torch.manual_seed(s)
        g.manual_seed(s)
        torch.randn(3)
        g.normal(3)            # odd count: one Box-Muller value cached
        torch.manual_seed(s + 1)
        g.manual_seed(s + 1)
        assert g.get_state() == bytes(torch.get_rng_state().numpy())
        assert np.array_equal(torch.randn(5).numpy(), g.normal(5))


def test_state_roundtrip_and_continuation(g):
    for s in SEEDS:
        torch.manual_seed(s)
        torch.randn(3)         # leaves a cached normal in the state
        torch.rand(1000)
        st = bytes(torch.get_rng_state().numpy())
        g.set_state(st)
        assert g.get_state() == st
        a, b = torch.randn(7).numpy(), g.normal(7)
        assert a.tobytes() == b.tobytes()
        a, b = torch.rand(5000).numpy(), g.uniform(5000)
        assert a.tobytes() == b.tobytes()
        assert g.get_state() == bytes(torch.get_rng_state().numpy())
        g2 = g.clone()
        assert g2.get_state() == g.get_state()


@pytest.mark.parametrize("left,nxt", [(5, 100), (624, 0), (1, 0), (1, 624), (300, 3), (624, 1)])
def test_unusual_states(g, left, nxt):
    torch.manual_seed(7)
    torch.rand(10)
    b = bytearray(torch.get_rng_state().numpy().tobytes())
    struct.pack_into("<ii", b, 8, left, 3)
    struct.pack_into("<Q", b, 16, nxt)
    struct.pack_into("<f?", b, 5048, 1.5, True)   # float normal cache: kept, unused
    torch.set_rng_state(torch.tensor(list(b), dtype=torch.uint8))
    g.set_state(bytes(b))
    assert g.get_state() == bytes(torch.get_rng_state().numpy())
    for n in (1, 3, 700):
        assert torch.rand(n).numpy().tobytes() == g.uniform(n).tobytes()
        assert g.get_state() == bytes(torch.get_rng_state().numpy())


def test_set_state_errors(g):
    for n in (10, 5048, 5057):
        with pytest.raises(RuntimeError) as te:
            torch.set_rng_state(torch.zeros(n, dtype=torch.uint8))
        with pytest.raises(RuntimeError) as oe:
            g.set_state(bytes(n))
        assert str(oe.value) == str(te.value)
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        g.set_state(bytes(5056))


# ---------------------------------------------------------------- uniform ----

@needs_avx2
@pytest.mark.parametrize("nd,td", FLOATS)
@pytest.mark.parametrize("bounds", [(0.0, 1.0), (-1.7, 3.1), (2.0, 2.5), (-1e4, 1e4)])
def test_uniform(g, nd, td, bounds):
    lo, hi = bounds
    for n in SIZES:
        check(g, lambda: torch.empty(n, dtype=td).uniform_(lo, hi),
              lambda: g.uniform((n,), nd, lo, hi), seeds=SEEDS[:3])


def test_rand_shapes_and_complex(g):
    check(g, lambda: torch.rand(3, 4, 5), lambda: g.uniform((3, 4, 5)))
    check(g, lambda: torch.rand(7, dtype=torch.complex64), lambda: g.uniform(7, np.complex64))
    check(g, lambda: torch.rand(2, 9, dtype=torch.complex128),
          lambda: g.uniform((2, 9), np.complex128))


def test_uniform_errors(g):
    with pytest.raises(RuntimeError) as te:
        torch.empty(3).uniform_(3, 2)
    with pytest.raises(RuntimeError) as oe:
        g.uniform(3, np.float32, 3, 2)
    assert str(oe.value) == str(te.value).split("\n")[0]
    with pytest.raises(NotImplementedError, match="'Int'"):
        g.uniform(3, np.int32)


# ----------------------------------------------------------------- normal ----

@needs_avx2
@pytest.mark.parametrize("nd,td", FLOATS)
@pytest.mark.parametrize("ms", [(0.0, 1.0), (0.3, 2.5), (-1.3, 0.37)])
def test_normal(g, nd, td, ms):
    mean, std = ms
    for n in SIZES + [1000, 4097]:
        check(g, lambda: torch.empty(n, dtype=td).normal_(mean, std),
              lambda: g.normal((n,), nd, mean, std), seeds=SEEDS[:3])


@needs_avx2
def test_randn_shapes_and_complex(g):
    for shape in [(3, 16), (5, 7), (2, 3, 17)]:
        check(g, lambda: torch.randn(shape), lambda: g.normal(shape))
        check(g, lambda: torch.randn(shape, dtype=torch.complex64),
              lambda: g.normal(shape, np.complex64))
        check(g, lambda: torch.randn(shape, dtype=torch.complex128),
              lambda: g.normal(shape, np.complex128))


def test_normal_cache_across_calls(g):
    def t():
        parts = [torch.randn(3), torch.randn(5, dtype=torch.float64), torch.randn(20),
                 torch.randn(1), torch.empty(2, dtype=torch.float16).normal_(1, 2)]
        return torch.cat([p.double() for p in parts])

    def o():
        parts = [g.normal(3), g.normal(5, np.float64), g.normal(20), g.normal(1),
                 g.normal(2, np.float16, 1, 2)]
        return np.concatenate([p.astype(np.float64) for p in parts])
    check(g, t, o, seeds=range(10))


@needs_avx2
def test_randn_million_float32(g):
    torch.manual_seed(3)
    g.manual_seed(3)
    t0 = time.perf_counter()
    ours = g.normal(10**6, np.float32)
    elapsed = time.perf_counter() - t0
    ref = torch.randn(10**6).numpy()
    assert np.array_equal(ours.view(np.uint32), ref.view(np.uint32))
    assert elapsed < 2.0, elapsed   # typically ~0.15 s


@needs_avx2
@pytest.mark.parametrize("nd,td", FLOATS)
def test_normal_tensor_overloads(g, nd, td):
    torch.manual_seed(100)
    mean = torch.randn(5, 20).to(td)
    std = (torch.rand(20) + 0.5).to(td)
    m, s = np_of(mean), np_of(std)
    check(g, lambda: torch.normal(mean, 0.7), lambda: g.normal_tensor(m, 0.7))
    check(g, lambda: torch.normal(0.3, std), lambda: g.normal_tensor(0.3, s))
    check(g, lambda: torch.normal(mean, std), lambda: g.normal_tensor(m, s))
    check(g, lambda: torch.normal(mean[0, :3], std[:3]), lambda: g.normal_tensor(m[0, :3], s[:3]))


@pytest.mark.parametrize("nd,td", FLOATS)
def test_other_continuous(g, nd, td):
    for n in (5, 40):
        check(g, lambda: torch.empty(n, dtype=td).exponential_(3.3),
              lambda: g.exponential(n, nd, 3.3), seeds=SEEDS[:3])
        check(g, lambda: torch.empty(n, dtype=td).log_normal_(0.2, 0.7),
              lambda: g.log_normal(n, nd, 0.2, 0.7), seeds=SEEDS[:3])
        check(g, lambda: torch.empty(n, dtype=td).cauchy_(0.2, 0.7),
              lambda: g.cauchy(n, nd, 0.2, 0.7), seeds=SEEDS[:3])
        check(g, lambda: torch.empty(n, dtype=td).geometric_(0.3),
              lambda: g.geometric(n, nd, 0.3), seeds=SEEDS[:3])


def test_geometric_int(g):
    check(g, lambda: torch.empty(50, dtype=torch.int64).geometric_(0.2),
          lambda: g.geometric(50, np.int64, 0.2))


# --------------------------------------------------------------- integers ----

def same_error(torch_fn, ours_fn):
    """If torch raises, we must raise the same type and first message line."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch_fn()
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e)) as oe:
            ours_fn()
        assert str(oe.value) == str(e).split("\n")[0]
        return True
    return False


@pytest.mark.filterwarnings("ignore:.*out of bounds")
@pytest.mark.parametrize("nd,td", FLOATS + INTS + [(np.uint16, torch.uint16),
                                                  (np.uint32, torch.uint32),
                                                  (np.uint64, torch.uint64)])
def test_random_bounds(g, nd, td):
    for lo, hi in [(3, 100), (-3, 2**30), (5, None), (-2**63, None), (0, 2)]:
        if same_error(lambda: torch.empty(1, dtype=td).random_(lo, hi),
                      lambda: g.random_int(1, lo, hi, nd)):
            continue
        for n in (1, 17, 200):
            check(g, lambda: torch.empty(n, dtype=td).random_(lo, hi),
                  lambda: g.random_int(n, lo, hi, nd), seeds=SEEDS[:2])


def test_random_bounds_warning(g):
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        g.random_int(3, 0, 2**30, np.float32)


@pytest.mark.parametrize("nd,td", FLOATS + INTS + [(np.uint16, torch.uint16)])
def test_random_default(g, nd, td):
    if same_error(lambda: torch.empty(1, dtype=td).random_(), lambda: g.random_default(1, nd)):
        return
    for n in (1, 17, 300):
        check(g, lambda: torch.empty(n, dtype=td).random_(), lambda: g.random_default(n, nd))


def test_randint(g):
    for lo, hi in [(0, 10), (-5, 2**40), (-2**62, 2**62), (0, 2**28 - 1), (0, 2**28)]:
        check(g, lambda: torch.randint(lo, hi, (3, 41)), lambda: g.random_int((3, 41), lo, hi))
    check(g, lambda: torch.randint(0, 7, (9,), dtype=torch.float32),
          lambda: g.random_int(9, 0, 7, np.float32))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 1000, 20000])
def test_randperm(g, n):
    check(g, lambda: torch.randperm(n), lambda: g.randperm(n), seeds=SEEDS[:3])
    check(g, lambda: torch.randperm(n, dtype=torch.float32),
          lambda: g.randperm(n, np.float32), seeds=SEEDS[:1])


def test_dataloader_shuffle_seeds(g):
    """DataLoader(shuffle=True): base_seed and sampler seed from the default
    generator, then randperm on a fresh generator seeded with the latter."""
    for s in SEEDS[:3]:
        torch.manual_seed(s)
        ref = [int(x) for b in torch.utils.data.DataLoader(range(37), shuffle=True) for x in b]
        g.manual_seed(s)
        g.random_default((), np.int64)                  # _base_seed
        seed = int(g.random_default((), np.int64))      # RandomSampler seed
        perm = CPUGenerator(seed).randperm(37).tolist()
        assert perm == ref
        assert g.get_state() == bytes(torch.get_rng_state().numpy())


# ------------------------------------------------------------ bernoulli etc ----

@not_intel
@pytest.mark.parametrize("nd,td", FLOATS + INTS)
def test_bernoulli_scalar(g, nd, td):
    for n in (1, 16, 100):
        check(g, lambda: torch.empty(n, dtype=td).bernoulli_(0.3),
              lambda: g.bernoulli(n, 0.3, nd), seeds=SEEDS[:2])


@pytest.mark.parametrize("nd,td", FLOATS)
def test_bernoulli_tensor(g, nd, td):
    p = torch.linspace(0, 1, 37, dtype=td)
    check(g, lambda: torch.bernoulli(p), lambda: g.bernoulli_tensor(np_of(p)))
    pp = torch.tensor([0.2, 0.9], dtype=td)
    check(g, lambda: torch.empty(3, 2, dtype=torch.float32).bernoulli_(pp),
          lambda: g.bernoulli_tensor(np_of(pp), np.float32, (3, 2)))


@not_intel
@pytest.mark.parametrize("nd,td", FLOATS)
def test_dropout(g, nd, td):
    for shape in [(7,), (4, 5), (64,)]:
        for p in (0.1, 0.5, 0.9):
            x = torch.ones(shape, dtype=td)
            check(g, lambda: torch.nn.functional.dropout(x, p, True),
                  lambda: g.dropout_mask(shape, p, nd) * np.ones(shape, nd), seeds=SEEDS[:2])
    x = torch.ones(2, 3, 4, 4, dtype=td)
    check(g, lambda: torch.nn.functional.dropout2d(x, 0.3, True),
          lambda: np.broadcast_to(g.dropout_mask((2, 3, 1, 1), 0.3, nd), (2, 3, 4, 4)).copy())


# ------------------------------------------------------------- multinomial ----

@pytest.mark.parametrize("nd,td", FLOATS)
def test_multinomial(g, nd, td):
    probs2 = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.0], [1, 2, 3, 4, 5.]], dtype=td)
    torch.manual_seed(5)
    probs1 = torch.rand(50).to(td)
    for probs in (probs2, probs1):
        p = np_of(probs)
        for k, rep in [(1, False), (3, False), (1, True), (7, True), (100, True)]:
            check(g, lambda: torch.multinomial(probs, k, rep), lambda: g.multinomial(p, k, rep),
                  seeds=range(6))


def test_multinomial_zero_probability_ties(g):
    """Zero-probability categories tie; torch's order comes from libstdc++'s
    nth_element / sort / partial_sort, which _stl replays."""
    for p in ([0., 1, 0, 2, 0, 0, 0, 0, 0, 0, 0], [0.] * 200 + [1.0, 3.0]):
        probs = torch.tensor(p)
        for k in (len(p), 3):
            check(g, lambda: torch.multinomial(probs, k, False),
                  lambda: g.multinomial(np.array(p, np.float32), k, False))


def test_topk_tie_order_matches_torch():
    rng = np.random.default_rng(0)
    for _ in range(400):
        n = int(rng.integers(1, 300))
        x = rng.integers(0, int(rng.integers(1, 6)), n).astype(np.float32)
        if rng.random() < 0.1:
            x[rng.integers(0, n, 3)] = np.nan
        k = int(rng.integers(1, n + 1)) if rng.random() < 0.7 else max(1, n // 64)
        assert topk_largest(x, k) == torch.topk(torch.from_numpy(x), k).indices.tolist()


# ---------------------------------------------------------------- poisson ----

@pytest.mark.parametrize("nd,td", [(np.float32, torch.float32), (np.float64, torch.float64)])
def test_poisson(g, nd, td):
    rates = torch.tensor([0., 0.5, 3, 9.9, 10, 12.5, 100, 1e4, 3e6], dtype=td)
    check(g, lambda: torch.poisson(rates), lambda: g.poisson(np_of(rates)), seeds=range(8))
    torch.manual_seed(9)
    big = (torch.rand(1500) * 40).to(td)
    check(g, lambda: torch.poisson(big), lambda: g.poisson(np_of(big)), seeds=SEEDS[:1])


# ------------------------------------------------------------- fma helpers ----

def test_fma_helpers_correctly_rounded():
    rng = np.random.default_rng(1)
    n = 3000
    a = rng.standard_normal(n) * np.exp2(rng.integers(-30, 30, n))
    b = rng.standard_normal(n)
    c = -a * b * (1 + rng.standard_normal(n) * 1e-9)   # heavy cancellation
    c[::3] = rng.standard_normal(n)[::3]
    r = M.fma64(a, b, c)
    for i in range(n):
        assert r[i] == float(Fraction(a[i]) * Fraction(b[i]) + Fraction(c[i]))
    # float32: a float64 sum landing exactly on a float32 midpoint must not double-round
    r32 = M.fma32(np.float32(3), np.float32(1 + 2**-23), np.float32(-2.0**-100))
    assert float(r32) == 3 + 2**-22


# ------------------------------------------------------------------ sweep ----

@needs_avx2
def test_sweep_many_seeds(g):
    """A mixed sequence of draws over 600 seeds, sizes around the 16-block edges."""
    rng = np.random.default_rng(2024)
    for s in rng.integers(-2**63, 2**63 - 1, 600, dtype=np.int64).tolist():
        n = int(rng.choice([1, 2, 15, 16, 17, 31, 47, 64, 100, 1023]))
        torch.manual_seed(s)
        g.manual_seed(s)
        pairs = [(torch.randn(n), g.normal(n)),
                 (torch.rand(n, dtype=torch.float64), g.uniform(n, np.float64)),
                 (torch.empty(n).normal_(2.0, 0.5), g.normal(n, np.float32, 2.0, 0.5)),
                 (torch.randint(-9, 9, (n,)), g.random_int(n, -9, 9)),
                 (torch.randn(n, dtype=torch.float64), g.normal(n, np.float64)),
                 (torch.randperm(n), g.randperm(n))]
        for t, o in pairs:
            assert t.numpy().tobytes() == o.tobytes(), s
        assert g.get_state() == bytes(torch.get_rng_state().numpy())


def test_argument_errors_match_torch(g):
    cases = [
        (lambda: torch.empty(3).uniform_(-1e39, 0), lambda: g.uniform(3, np.float32, -1e39, 0)),
        (lambda: torch.empty(3, dtype=torch.float16).uniform_(-6e4, 6e4),
         lambda: g.uniform(3, np.float16, -6e4, 6e4)),
        (lambda: torch.empty(3).normal_(3, -2), lambda: g.normal(3, np.float32, 3, -2)),
        (lambda: torch.empty(3, dtype=torch.int32).normal_(), lambda: g.normal(3, np.int32)),
        (lambda: torch.empty(3).log_normal_(0, 0), lambda: g.log_normal(3, np.float32, 0, 0)),
        (lambda: torch.empty(3).geometric_(1), lambda: g.geometric(3, np.float32, 1)),
        (lambda: torch.empty(3).exponential_(0), lambda: g.exponential(3, np.float32, 0)),
        (lambda: torch.empty(3, dtype=torch.int32).exponential_(),
         lambda: g.exponential(3, np.int32)),
        (lambda: torch.empty(3).cauchy_(0, -1), lambda: g.cauchy(3, np.float32, 0, -1)),
        (lambda: torch.empty(3, dtype=torch.int32).cauchy_(), lambda: g.cauchy(3, np.int32)),
        (lambda: torch.empty(3).bernoulli_(1.5), lambda: g.bernoulli(3, 1.5)),
        (lambda: torch.empty(3).random_(5, 2), lambda: g.random_int(3, 5, 2, np.float32)),
        (lambda: torch.randperm(-1), lambda: g.randperm(-1)),
    ]
    for tf, of in cases:
        assert same_error(tf, of)


# ------------------------------------------------------- torchjax.random ----

def test_public_random_api():
    import torchjax
    from torchjax import random as R
    assert R.manual_seed(11) is R.default_generator
    torch.manual_seed(11)
    assert R.initial_seed() == 11
    st = R.get_rng_state()
    assert st.dtype.name == "uint8" and tuple(st.shape) == (5056,)
    assert np.asarray(st._value).tobytes() == bytes(torch.get_rng_state().numpy())
    with R.fork_rng():
        R.default_generator._impl.uniform(100)
    assert np.asarray(R.get_rng_state()._value).tobytes() == bytes(torch.get_rng_state().numpy())
    R.set_rng_state(st)
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        R.set_rng_state(torchjax.zeros(3))
    gen = R.Generator()
    assert str(gen.device) == "cpu" and gen.initial_seed() == torch.Generator().initial_seed()
    assert gen.manual_seed(3) is gen and gen.set_state(gen.get_state()) is gen
    assert np.asarray(gen.get_state()._value).tobytes() == \
        bytes(torch.Generator().manual_seed(3).get_state().numpy())


def test_multinomial_errors(g):
    inf, nan = float("inf"), float("nan")
    cases = [([0., 0], 1, False), ([[1., 1], [0, 0]], 1, False), ([1., -1], 1, False),
             ([1., inf], 1, False), ([1., 2], 3, False), ([1., 2], 0, False),
             ([1., 2], -1, True), ([[[1.]]], 1, False), (1., 1, False), ([1., -1], 2, True),
             ([0., 0], 2, True), ([1., nan], 2, True), ([1., inf], 2, True)]
    for p, n, rep in cases:
        assert same_error(lambda: torch.multinomial(torch.tensor(p), n, rep),
                          lambda: g.multinomial(np.array(p, np.float32), n, rep)), (p, n, rep)
    assert same_error(lambda: torch.multinomial(torch.tensor([1, 2]), 1),
                      lambda: g.multinomial(np.array([1, 2]), 1))
    assert g.multinomial(np.ones((0, 3), np.float32), 2, True).shape == (0, 2)
