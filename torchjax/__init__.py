"""torchjax: PyTorch's Python API on JAX. ``import torchjax as torch``."""
from ._malloc import tune as _tune_malloc

_tune_malloc()  # before JAX allocates: large CPU buffers are reused, not re-mmapped (_malloc.py)
del _tune_malloc

import jax as _jax  # noqa: E402

_jax.config.update("jax_enable_x64", True)  # int64/float64 exist; explicit dtypes everywhere
# torch's tensors live on the CPU unless a device is named, also where JAX has a GPU or TPU
_jax.config.update("jax_default_device", "cpu")


def _compile_cache():
    """JAX's persistent compilation cache, on by default (TORCHJAX_COMPILE_CACHE=0 turns it off;
    TORCHJAX_CACHE_DIR moves it). Small op compiles take 20-50 ms, so cache them all."""
    import os
    if os.environ.get("TORCHJAX_COMPILE_CACHE", "1") == "0":
        return
    d = os.environ.get("TORCHJAX_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "torchjax", "xla")
    _jax.config.update("jax_compilation_cache_dir", d)
    _jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    _jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


_compile_cache()

from . import _dtype
from ._dtype import (dtype, finfo, iinfo, get_default_dtype, set_default_dtype, promote_types,
                     can_cast)
from ._dtype import (bool, uint8, int8, int16, int32, int64, uint16, uint32, uint64, float16,
                     bfloat16, float32, float64, complex64, complex128, half, float, double, short,
                     int, long, cfloat, cdouble)
from ._size import Size, device
from ._tensor import Tensor
from . import autograd
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled, \
    is_inference_mode_enabled
from ._creation import (tensor, as_tensor, asarray, from_numpy, zeros, ones, full, empty,
                        zeros_like, ones_like, full_like, empty_like, empty_strided)
from ._ops import install as _install
from ._tensor_str import set_printoptions, get_printoptions
from ._api import (is_tensor, is_storage, is_floating_point, is_complex, is_nonzero, numel,
                   result_type, set_num_threads, get_num_threads, set_num_interop_threads,
                   get_num_interop_threads, use_deterministic_algorithms,
                   are_deterministic_algorithms_enabled,
                   is_deterministic_algorithms_warn_only_enabled, compile,
                   set_float32_matmul_precision, get_float32_matmul_precision,
                   set_default_device, get_default_device, set_warn_always,
                   is_warn_always_enabled, typename, set_default_tensor_type, set_flush_denormal)
from .autograd.anomaly_mode import (set_anomaly_enabled, is_anomaly_enabled,
                                    is_anomaly_check_nan_enabled)
from . import _namespace
from ._namespace import *  # noqa: F401,F403  (ops generated from the op table)

__version__ = "2.13.0+torchjax.0.1"


class memory_format:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


class layout(memory_format):
    pass


contiguous_format, preserve_format = memory_format("contiguous_format"), memory_format("preserve_format")
channels_last, channels_last_3d = memory_format("channels_last"), memory_format("channels_last_3d")
strided, sparse_coo = layout("strided"), layout("sparse_coo")
Tensor.layout = strided

for _name, _cls in __import__("torchjax._creation", fromlist=["LEGACY"]).LEGACY.items():
    globals()[_name] = _cls
del _name, _cls

from . import nn, linalg, fft, special, signal, masked, cuda, backends, random, return_types  # noqa: E402
from .random import (manual_seed, seed, initial_seed, get_rng_state, set_rng_state,  # noqa: E402
                     Generator, default_generator)
from . import optim, utils, serialization  # noqa: E402
from .serialization import *  # noqa: F401,F403,E402  (save, load)

from . import amp, cpu, compiler, _dynamo  # noqa: E402
from .cuda import amp as _cuda_amp  # noqa: E402,F401  (torch.cuda.amp)
from .amp import autocast  # noqa: E402
from .amp.autocast_mode import STATE_FUNCTIONS as _AMP_STATE  # noqa: E402
globals().update(_AMP_STATE)  # is_autocast_enabled, set_autocast_dtype, ... (torch.*)
del _AMP_STATE

# The ~100k objects made while importing jax and torchjax live as long as the process: moved out
# of the cyclic GC's sight, full collections (and the one at interpreter exit, ~0.1 s) skip them.
import gc as _gc  # noqa: E402
_gc.freeze()
del _gc
