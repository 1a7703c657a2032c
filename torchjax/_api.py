"""Namespace basics that are not ops: predicates, promotion queries, thread and determinism knobs."""
import numbers

from . import _dtype as D
from ._tensor import Tensor


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_storage(obj):
    return False


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with " + ("more than one value" if input.numel()
                                                              else "no values") + " is ambiguous")
    return bool(input.item())


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    dims, zeros, wrapped = [], [], []
    for a in (tensor1, tensor2):
        if isinstance(a, Tensor):
            (zeros if a.dim() == 0 else dims).append(a.dtype)
        elif isinstance(a, numbers.Number):
            wrapped.append(D.scalar_dtype(a))
        else:
            raise TypeError(f"result_type() received an invalid combination of arguments - got "
                            f"({type(tensor1).__name__}, {type(tensor2).__name__})")
    return D.result_type_of(dims, zeros, wrapped)


def set_num_threads(n):
    """XLA manages its own CPU thread pool; the count sets how full float sums split into
    partial sums, as torch's do (their rounding depends on it)."""
    from ._ops import _cascade, registry
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    if int(n) != _cascade.THREADS[0]:
        _cascade.THREADS[0] = int(n)
        registry.clear_caches()     # traced sums baked the old split in


def get_num_threads():
    from ._ops import _cascade
    return _cascade.THREADS[0]


def set_num_interop_threads(n):
    pass


def get_num_interop_threads():
    return 1


_deterministic = [False, False]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded only: XLA's CPU and GPU kernels used here are deterministic for a fixed program."""
    _deterministic[:] = [bool(mode), bool(warn_only)]


def are_deterministic_algorithms_enabled():
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic[1]


_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False, **kwargs):
    """torch.compile with torch's argument checks. A module comes back as an OptimizedModule
    (state_dict keys prefixed `_orig_mod.`), a function as a wrapper; both run eagerly."""
    import functools
    from . import _dynamo
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified "
                           "at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _dynamo._BACKENDS:
        raise _dynamo.exc.InvalidBackend(backend)
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable, **kwargs)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if disable:
        return model
    from .nn import Module
    if isinstance(model, Module):
        return _dynamo.OptimizedModule(model)
    return functools.wraps(model)(lambda *a, **k: model(*a, **k))


# ---------------------------------------------------------------- matmul precision

def set_float32_matmul_precision(precision):
    """torch's float32 matmul precision; JAX's default matmul precision follows it:
    'highest' -> 'highest' (float32; left at JAX's default None on CPU, which is float32),
    'high' -> 'high' (TF32 / 3-pass bfloat16 where the device has them), 'medium' -> 'default'
    (TF32 / 1-pass bfloat16). XLA's CPU dots compute in float32 under all three.
    torch.backends.cuda.matmul.allow_tf32 = True/False is 'high'/'highest' (backends/cuda)."""
    from .backends import cuda
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    modes = {"highest": ("ieee", "ieee"), "high": ("tf32", "tf32"), "medium": ("tf32", "bf16")}
    if precision not in modes:
        import warnings
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect. (Triggered internally at "
                      "/__w/pytorch/pytorch/aten/src/ATen/Context.cpp:458.)", UserWarning,
                      stacklevel=2)
        return
    cuda.set_legacy_precision(precision, *modes[precision])


def get_float32_matmul_precision():
    from .backends import cuda
    return cuda.legacy_precision()


# ---------------------------------------------------------------- default device

def set_default_device(device):
    """Factory functions called without device= place their result here (None: the CPU)."""
    from ._creation import DEFAULT_DEVICE
    from ._size import device as _dev, accelerators
    if device is not None:
        if isinstance(device, int) and not isinstance(device, bool) and not accelerators():
            raise RuntimeError("Cannot access accelerator device when none is available.")
        device = _dev(device)
    DEFAULT_DEVICE[0] = device


def get_default_device():
    from ._creation import DEFAULT_DEVICE
    from ._size import device as _dev, jax_device, torch_device
    d = DEFAULT_DEVICE[0]
    if d is None:
        return _dev("cpu")
    if d.index is not None:
        return d
    return torch_device(jax_device(d))


# ---------------------------------------------------------------- warnings, legacy switches

_warn_always = [False]


def set_warn_always(b):
    """Warnings torch gives once per process (warn_once) are given every time while this is on."""
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _warn_always[0] = b


def is_warn_always_enabled():
    return _warn_always[0]


_warned = set()


def warn_once(msg, category=UserWarning, stacklevel=3):
    """torch's TORCH_WARN_ONCE: once per process unless set_warn_always(True)."""
    if _warn_always[0] or msg not in _warned:
        _warned.add(msg)
        import warnings
        warnings.warn(msg, category, stacklevel=stacklevel)


def typename(obj):
    """The type of obj as a string: torch's legacy tensor type for tensors."""
    if isinstance(obj, Tensor):
        return ("torch.cuda." if obj.is_cuda else "torch.") + _legacy_name(obj.dtype)
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    if module.split(".")[0] == "torchjax":  # our modules stand for torch's
        module = _TORCH_MODULES.get(module, "torch" + module[8:])
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


_TORCH_MODULES = {"torchjax._dtype": "torch", "torchjax._size": "torch", "torchjax._tensor": "torch"}


def _legacy_name(dt):
    return dt._legacy or str(dt).split(".")[1].capitalize().replace("int", "Int") + "Tensor"


def set_default_tensor_type(t):
    """Deprecated: set the default dtype (and device) from a legacy tensor type."""
    cuda = False
    if isinstance(t, str):
        if t.startswith("torch.cuda."):  # torch.cuda.FloatTensor: that dtype on the accelerator
            t, cuda = "torch." + t[11:], t
        parts = t.split(".")
        obj = __import__("torchjax" if parts[0] == "torch" else parts[0])
        for p in parts[1:]:
            if not hasattr(obj, p):
                raise AttributeError(f"module '{obj.__name__.replace('torchjax', 'torch')}' has "
                                     f"no attribute '{p}'")
            obj = getattr(obj, p)
        t = obj
    warn_once("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
              "torch.set_default_dtype() and torch.set_default_device() as alternatives. "
              "(Triggered internally at /__w/pytorch/pytorch/torch/csrc/tensor/"
              "python_tensor.cpp:434.)")
    if cuda and not _accel():
        raise TypeError(f"type {cuda} not available. Torch not compiled with CUDA enabled.")
    dt = getattr(t, "_legacy_dtype", None) if isinstance(t, type) else None
    if dt is None:
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    if not dt.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    D.set_default_dtype(dt)
    if cuda:
        set_default_device("cuda")


def _accel():
    from ._size import accelerators
    return bool(accelerators())


_flush_denormal = [False]


def set_flush_denormal(mode):
    """Recorded only (XLA decides denormal handling); returns whether this CPU supports it, as
    torch does (x86 with SSE3, ARM64)."""
    import platform
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {type(mode).__name__}")
    _flush_denormal[0] = mode
    return platform.machine().lower() in ("x86_64", "amd64", "i686", "i386", "aarch64", "arm64")
