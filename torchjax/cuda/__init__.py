"""torch.cuda on JAX.

"cuda" means JAX's accelerator devices (GPU or TPU) when JAX has any.  With
none, every function behaves as it does in PyTorch's CPU-only build: the
queries answer False/0, the seeding calls do nothing, and the calls that need
a device raise AssertionError("Torch not compiled with CUDA enabled").
"""

import jax

_NO_CUDA = "Torch not compiled with CUDA enabled"

_current = 0  # index set by set_device()
_seeds = {}  # device index -> seed, used only while torchjax.random is absent
_DEFAULT_SEED = 67280421310721  # PyTorch's default generator seed


def _devices():
    """JAX's accelerator devices, in index order (empty without one)."""
    try:
        devices = jax.devices()
    except RuntimeError:
        return []
    return [d for d in devices if d.platform != "cpu"]


def _require():
    devices = _devices()
    if not devices:
        raise AssertionError(_NO_CUDA)
    return devices


def _index(device, optional=True):
    """Device index from None, an int, 'cuda[:N]' or a device object."""
    if device is None:
        if optional:
            return _current
        raise ValueError(f"Expected a cuda device with a specified index or an integer, but got:{device}")
    if isinstance(device, bool):
        raise ValueError(f"Expected a cuda device, but got: {device}")
    if isinstance(device, int):
        return device
    if isinstance(device, _DeviceContext):
        return device.idx
    if isinstance(device, str):
        kind, _, index = device.partition(":")
        index = int(index) if index else None
    else:
        kind = getattr(device, "type", None)
        index = getattr(device, "index", None)
        if kind is None:
            raise ValueError(f"Expected a cuda device, but got: {device}")
    if kind != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    if index is None:
        return _index(None, optional)
    return index


def _jax_device(device=None):
    devices = _require()
    index = _index(device)
    if not 0 <= index < len(devices):
        raise RuntimeError("CUDA error: invalid device ordinal")
    return devices[index]


# -- devices ---------------------------------------------------------------


def is_available():
    """Whether JAX has an accelerator (GPU or TPU)."""
    return bool(_devices())


def device_count():
    return len(_devices())


def is_initialized():
    return is_available()


def init():
    _require()


def current_device():
    _require()
    return _current


def set_device(device):
    global _current
    index = _index(device)
    if index < 0:
        return
    devices = _require()
    if index >= len(devices):
        raise RuntimeError("CUDA error: invalid device ordinal")
    _current = index


def get_device_name(device=None):
    return _jax_device(device).device_kind


def get_device_capability(device=None):
    """(major, minor) compute capability; (0, 0) where JAX does not say."""
    return _capability(_jax_device(device))


def _capability(jax_device):
    cap = getattr(jax_device, "compute_capability", None)
    try:
        major, minor = str(cap).split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return 0, 0


class _DeviceProperties:
    def __init__(self, jax_device):
        self.name = jax_device.device_kind
        self.major, self.minor = _capability(jax_device)
        stats = _stats(jax_device)
        self.total_memory = int(stats.get("bytes_limit", 0))
        self.multi_processor_count = int(getattr(jax_device, "core_count", 0) or 0)

    def __repr__(self):
        return (
            f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
            f"minor={self.minor}, total_memory={self.total_memory // 2**20}MB, "
            f"multi_processor_count={self.multi_processor_count})"
        )


def get_device_properties(device=None):
    return _DeviceProperties(_jax_device(device))


class device:
    """Context manager that makes `idx` the current device for its block."""

    def __init__(self, device):
        self.idx = _index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        global _current
        self.prev_idx = _current
        if self.idx >= 0 and self.idx != _current:
            set_device(self.idx)

    def __exit__(self, *exc):
        global _current
        if self.prev_idx != _current:
            _current = self.prev_idx
        return False


_DeviceContext = device


def synchronize(device=None):
    """Wait until all queued JAX work on the device has finished."""
    target = _jax_device(device)
    jax.effects_barrier()
    for array in jax.live_arrays():
        try:
            if target in array.devices():
                array.block_until_ready()
        except RuntimeError:  # deleted or donated while we looked
            pass


# -- memory ----------------------------------------------------------------


def _stats(jax_device):
    try:
        stats = jax_device.memory_stats()
    except Exception:
        stats = None
    return stats or {}


def _device_stats(device):
    if not is_available():
        return {}
    return _stats(_jax_device(device))


def memory_stats(device=None):
    """JAX's allocator statistics for the device ({} without one)."""
    return dict(_device_stats(device))


def memory_allocated(device=None):
    return int(_device_stats(device).get("bytes_in_use", 0))


def max_memory_allocated(device=None):
    return int(_device_stats(device).get("peak_bytes_in_use", 0))


def memory_reserved(device=None):
    stats = _device_stats(device)
    return int(stats.get("pool_bytes", stats.get("bytes_in_use", 0)))


def max_memory_reserved(device=None):
    stats = _device_stats(device)
    return int(stats.get("peak_pool_bytes", stats.get("peak_bytes_in_use", 0)))


def mem_get_info(device=None):
    """(free, total) bytes as JAX's allocator sees them."""
    stats = _stats(_jax_device(device))
    total = int(stats.get("bytes_limit", 0))
    return total - int(stats.get("bytes_in_use", 0)), total


def empty_cache():
    """JAX frees device buffers when their arrays die; nothing is cached here."""


def reset_peak_memory_stats(device=None):
    _require()  # JAX keeps no resettable peak counters


# -- dtype support -----------------------------------------------------------


def is_bf16_supported(including_emulation=True):
    if not is_available():
        return False
    jax_device = _jax_device(None)
    if jax_device.platform != "gpu":
        return True  # TPUs compute in bfloat16 natively
    if _capability(jax_device)[0] >= 8:
        return True
    return bool(including_emulation)


# -- random seeds ------------------------------------------------------------
# PyTorch's CPU build queues these calls until CUDA starts, which it never
# does, so without an accelerator they only check the seed.  With one, JAX
# draws on every device from torchjax's one generator: seed it.


def _random():
    try:
        from torchjax import random
    except ImportError:
        return None
    return random


def _seed_accelerator(seed):
    random = _random()
    if random is not None and hasattr(random, "manual_seed"):
        random.manual_seed(seed)
    for index in range(device_count()):
        _seeds[index] = seed


def manual_seed(seed):
    seed = int(seed)
    if is_available():
        _seed_accelerator(seed)


def manual_seed_all(seed):
    manual_seed(seed)


def seed():
    if is_available():
        random = _random()
        if random is not None and hasattr(random, "seed"):
            _seeds[_current] = random.seed()
        else:
            import secrets

            _seed_accelerator(secrets.randbits(63))


def seed_all():
    seed()


def initial_seed():
    _require()
    random = _random()
    if random is not None and hasattr(random, "initial_seed"):
        return random.initial_seed()
    return _seeds.get(_current, _DEFAULT_SEED)
