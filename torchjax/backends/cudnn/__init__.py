"""torch.backends.cudnn: cuDNN switches.

The flags are plain module attributes with PyTorch's defaults.  XLA chooses
its convolution kernels itself, so they are recorded, not acted on.
"""

import contextlib

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True
fp32_precision = "none"
benchmark_limit = None


def is_available():
    """Whether JAX runs on a CUDA GPU, where XLA uses cuDNN."""
    from torchjax import cuda

    return any(d.platform == "gpu" for d in cuda._devices())


def version():
    """The cuDNN version number JAX loaded, or None without a GPU."""
    if not is_available():
        return None
    try:
        from jax._src.lib import cuda_versions
    except ImportError:
        return None
    if cuda_versions is None:
        return None
    try:
        return int(cuda_versions.cudnn_get_version())
    except Exception:
        return None


def is_acceptable(tensor):
    return bool(enabled)


def set_flags(
    _enabled=None,
    _benchmark=None,
    _benchmark_limit=None,
    _deterministic=None,
    _allow_tf32=None,
    _fp32_precision="none",
):
    """Set the given flags; return the old ones in argument order."""
    global enabled, benchmark, benchmark_limit, deterministic, allow_tf32
    global fp32_precision
    old = (
        enabled,
        benchmark,
        benchmark_limit,
        deterministic,
        allow_tf32,
        fp32_precision,
    )
    if _enabled is not None:
        enabled = _enabled
    if _benchmark is not None:
        benchmark = _benchmark
    if _benchmark_limit is not None and is_available():
        benchmark_limit = _benchmark_limit
    if _deterministic is not None:
        deterministic = _deterministic
    if _allow_tf32 is not None:
        allow_tf32 = _allow_tf32
    if _fp32_precision is not None:
        fp32_precision = _fp32_precision
    return old


@contextlib.contextmanager
def flags(
    enabled=False,
    benchmark=False,
    benchmark_limit=10,
    deterministic=False,
    allow_tf32=True,
    fp32_precision="none",
):
    """Set the flags for the duration of a with block."""
    old = set_flags(
        enabled, benchmark, benchmark_limit, deterministic, allow_tf32, fp32_precision
    )
    try:
        yield
    finally:
        set_flags(*old)
