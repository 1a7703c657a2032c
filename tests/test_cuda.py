"""torchjax.cuda and torchjax.backends against torch's CPU build, and with a
stand-in accelerator (this machine has none)."""

import pytest
import torch

import torchjax.backends as backends
import torchjax.cuda as cuda

NO_CUDA = "Torch not compiled with CUDA enabled"
pytestmark = pytest.mark.skipif(cuda.is_available(), reason="JAX has an accelerator here")


def outcome(f):
    try:
        return ("ok", f())
    except Exception as e:
        return (type(e).__name__, str(e))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.is_available(),
        lambda m: m.device_count(),
        lambda m: m.is_initialized(),
        lambda m: m.current_device(),
        lambda m: m.get_device_name(),
        lambda m: m.get_device_capability(),
        lambda m: m.synchronize(),
        lambda m: m.initial_seed(),
        lambda m: m.init(),
        lambda m: m.mem_get_info(),
        lambda m: m.manual_seed(3),
        lambda m: m.manual_seed("x"),
        lambda m: m.manual_seed_all(3),
        lambda m: m.seed(),
        lambda m: m.seed_all(),
        lambda m: m.empty_cache(),
        lambda m: m.memory_allocated(),
        lambda m: m.memory_allocated(1),
        lambda m: m.memory_allocated("cpu"),
        lambda m: m.max_memory_allocated(),
        lambda m: m.memory_reserved(),
        lambda m: m.max_memory_reserved(),
        lambda m: dict(m.memory_stats()),
        lambda m: m.is_bf16_supported(),
        lambda m: m.set_device(-1),
        lambda m: m.set_device("cpu"),
    ],
)
def test_cuda_matches_cpu_torch(call):
    assert outcome(lambda: call(cuda)) == outcome(lambda: call(torch.cuda))


def test_backends_defaults_match_torch():
    for name in ["enabled", "deterministic", "benchmark", "allow_tf32", "benchmark_limit"]:
        assert getattr(backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert backends.cudnn.is_available() is torch.backends.cudnn.is_available()
    assert backends.cudnn.version() == torch.backends.cudnn.version()
    assert backends.mps.is_available() is torch.backends.mps.is_available()
    assert backends.mps.is_built() is torch.backends.mps.is_built()
    assert backends.cuda.is_built() is torch.backends.cuda.is_built()
    for name in ["allow_tf32", "allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction", "allow_fp16_accumulation"]:
        assert getattr(backends.cuda.matmul, name) == getattr(torch.backends.cuda.matmul, name), name


def test_backends_settable():
    m = backends.cuda.matmul
    try:
        m.allow_tf32 = True
        assert m.allow_tf32 is True and m.fp32_precision == "tf32"
        with pytest.raises(AttributeError, match="Unknown attribute bogus"):
            m.bogus = 1
        with pytest.raises(AttributeError, match="Unknown attribute bogus"):
            m.bogus
        with pytest.raises(TypeError):
            m.allow_fp16_reduced_precision_reduction = "yes"
    finally:
        m.allow_tf32 = False
        m.fp32_precision = "none"
    c = backends.cudnn
    old = c.deterministic, c.benchmark
    try:
        c.deterministic, c.benchmark = True, True
        assert (c.deterministic, c.benchmark) == (True, True)
        with c.flags(enabled=False, deterministic=False):
            assert c.enabled is False and c.deterministic is False
        assert c.enabled is True and c.deterministic is True
    finally:
        c.deterministic, c.benchmark = old


class FakeDevice:
    platform = "gpu"
    device_kind = "Fake GPU"
    compute_capability = "9.0"
    core_count = 132

    def __init__(self, i):
        self.id = i

    def memory_stats(self):
        return {"bytes_in_use": 100 + self.id, "peak_bytes_in_use": 200,
                "pool_bytes": 300, "peak_pool_bytes": 400, "bytes_limit": 1000}


@pytest.fixture
def fake_gpus(monkeypatch):
    monkeypatch.setattr(cuda, "_devices", lambda: [FakeDevice(0), FakeDevice(1)])
    monkeypatch.setattr(cuda, "_current", 0)
    return cuda


def test_with_accelerator(fake_gpus):
    c = fake_gpus
    assert c.is_available() and c.device_count() == 2 and c.current_device() == 0
    assert c.get_device_name() == "Fake GPU"
    assert c.get_device_capability("cuda:1") == (9, 0)
    assert c.memory_allocated() == 100 and c.memory_allocated(1) == 101
    assert c.memory_allocated("cuda:1") == 101
    assert c.max_memory_allocated() == 200
    assert (c.memory_reserved(), c.max_memory_reserved()) == (300, 400)
    assert c.mem_get_info() == (900, 1000)
    assert c.is_bf16_supported()
    assert c.get_device_properties(0).total_memory == 1000
    c.set_device(1)
    assert c.current_device() == 1 and c.memory_allocated() == 101
    with c.device(0):
        assert c.current_device() == 0
    assert c.current_device() == 1
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        c.set_device(2)
    with pytest.raises(ValueError, match="Expected a cuda device"):
        c.memory_allocated("cpu")
    c.synchronize()
    random = c._random()
    saved = random.get_rng_state() if random is not None else None
    try:
        c.manual_seed(5)
        assert c.initial_seed() == 5
    finally:
        if saved is not None:
            random.set_rng_state(saved)
    assert backends.cudnn.is_available() and backends.cuda.is_built()
