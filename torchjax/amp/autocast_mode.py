"""torch.amp.autocast and the autocast state (torch.is_autocast_enabled, ...) on torchjax.

The state is thread-local, as torch's. While any thread has an autocast region enabled,
``registry.AUTOCAST[0]`` holds ``_hook``, which applies the op policies of ``_policy.py`` to each
op's tensor arguments (casts are ordinary recorded ``_to_copy`` ops, as ``Tensor.to``:
ToCopyBackward0 in the graph); with none enabled it is None, so dispatch pays nothing.
torch autocasts no in-place or out= call; registry.call and ``matmul`` consult the hook.
"""
import collections
import functools
import threading
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .._ops import registry
from . import _policy as P

__all__ = ["autocast_decorator", "autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]

# device types torch accepts in autocast, and their default lower-precision dtype
_DEFAULT_DTYPE = {"cpu": D.bfloat16, "cuda": D.float16, "xpu": D.float16, "mps": D.float16,
                  "ipu": D.float16, "hpu": D.bfloat16, "xla": D.bfloat16, "mtia": D.float16,
                  "maia": D.bfloat16, "privateuseone": D.float16}
_DTYPES = dict(_DEFAULT_DTYPE, hip=D.float16)  # 'hip' has a dtype slot but no autocast
_TYPES = ("cpu cuda ipu xpu mkldnn opengl opencl ideep hip ve fpga maia xla lazy vulkan mps meta "
          "hpu mtia privateuseone").split()
_UNKNOWN = "unknown device type for autocast in get_autocast_dispatch_key_from_device_type"


class _State(threading.local):
    def __init__(self):
        self.enabled = set()  # device types with autocast on
        self.dtype = dict(_DTYPES)
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}  # id(leaf) -> (weakref(leaf), its lower-precision cast)


_S = _State()
_active = set()  # idents of threads with some device type enabled
_lock = threading.Lock()


def _device_type(device_type, fname, pos=1):
    if not isinstance(device_type, str):
        raise TypeError(f"{fname}(): argument 'device_type' (position {pos}) must be str, not "
                        f"{type(device_type).__name__}")
    kind = device_type.split(":", 1)[0]
    if kind not in _TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device "
                           f"string: {kind}")
    return kind


def _check_bool(v, fname, name, pos):
    if not isinstance(v, bool):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be bool, not "
                        f"{type(v).__name__}")


def _sync():
    """Install the dispatch hook while any thread has autocast on."""
    with _lock:
        if _S.enabled:
            _active.add(threading.get_ident())
        else:
            _active.discard(threading.get_ident())
        registry.AUTOCAST[0] = _hook if _active else None


# ---------------------------------------------------------------- state functions (torch.*)

_MISSING = object()  # an omitted argument


def is_autocast_enabled(device_type=_MISSING):
    """Whether autocast is on for ``device_type`` ('cuda' when omitted) in this thread."""
    dev = "cuda" if device_type is _MISSING else _device_type(device_type, "is_autocast_enabled")
    if dev not in _DEFAULT_DTYPE:
        raise RuntimeError(_UNKNOWN)
    return dev in _S.enabled


def set_autocast_enabled(device_type=_MISSING, enabled=_MISSING):
    if enabled is _MISSING:  # the one-argument form: set_autocast_enabled(enabled) for CUDA
        if not isinstance(device_type, bool):
            got = "" if device_type is _MISSING else type(device_type).__name__
            raise TypeError("set_autocast_enabled() received an invalid combination of arguments"
                            f" - got ({got}), but expected one of:\n"
                            " * (str device_type, bool enabled)\n * (bool enabled)\n")
        device_type, enabled = "cuda", device_type
    dev = _device_type(device_type, "set_autocast_enabled")
    _check_bool(enabled, "set_autocast_enabled", "enabled", 2)
    if dev not in _DEFAULT_DTYPE:
        raise RuntimeError(_UNKNOWN)
    before = bool(_S.enabled)
    (_S.enabled.add if enabled else _S.enabled.discard)(dev)
    if before != bool(_S.enabled):
        _sync()


def _missing(fname, name, given):
    if given is _MISSING:
        raise TypeError(f'{fname}() missing 1 required positional arguments: "{name}"')


def get_autocast_dtype(device_type=_MISSING):
    _missing("get_autocast_dtype", "device_type", device_type)
    dev = _device_type(device_type, "get_autocast_dtype")
    if dev not in _S.dtype:
        raise RuntimeError("unsupported scalarType")
    return _S.dtype[dev]


def set_autocast_dtype(device_type=_MISSING, dtype=_MISSING):
    _missing("set_autocast_dtype", "device_type", device_type)
    _missing("set_autocast_dtype", "dtype", dtype)
    dev = _device_type(device_type, "set_autocast_dtype")
    if not isinstance(dtype, D.dtype):
        raise TypeError("set_autocast_dtype(): argument 'dtype' (position 2) must be torch.dtype,"
                        f" not {type(dtype).__name__}")
    _S.dtype[dev] = dtype


def _is_any_autocast_enabled():
    return bool(_S.enabled)


def is_autocast_cache_enabled():
    return _S.cache_enabled


def set_autocast_cache_enabled(enabled):
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    _S.cache_enabled = enabled


def clear_autocast_cache():
    _S.cache.clear()


def autocast_increment_nesting():
    _S.nesting += 1
    return _S.nesting


def autocast_decrement_nesting():
    _S.nesting -= 1
    return _S.nesting


def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def _legacy(kind, dev):
    """torch's deprecated per-device state functions (is_autocast_cpu_enabled, ...)."""
    name = "gpu" if dev == "cuda" else dev
    if kind == "is":
        def f():
            _deprecated(f"is_autocast_{name}_enabled()", f"is_autocast_enabled('{dev}')")
            return dev in _S.enabled
    elif kind == "set":
        def f(enabled):
            if not isinstance(enabled, bool):
                raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
            _deprecated(f"set_autocast_{name}_enabled(enabled)",
                        f"set_autocast_enabled('{dev}', enabled)")
            set_autocast_enabled(dev, enabled)
    elif kind == "get":
        def f():
            _deprecated(f"get_autocast_{name}_dtype()", f"get_autocast_dtype('{dev}')")
            return _S.dtype[dev]
    else:
        def f(dtype):
            if not isinstance(dtype, D.dtype):
                raise TypeError(f"dtype must be a torch.dtype (got {type(dtype).__name__})")
            _deprecated(f"set_autocast_{name}_dtype(dtype)", f"set_autocast_dtype('{dev}', dtype)")
            _S.dtype[dev] = dtype
    return f


_LEGACY = {}
for _dev in ("cpu", "ipu", "xla"):
    _LEGACY[f"is_autocast_{_dev}_enabled"] = _legacy("is", _dev)
    _LEGACY[f"set_autocast_{_dev}_enabled"] = _legacy("set", _dev)
for _dev in ("cpu", "cuda", "ipu", "xla"):
    _n = "gpu" if _dev == "cuda" else _dev
    _LEGACY[f"get_autocast_{_n}_dtype"] = _legacy("get", _dev)
    _LEGACY[f"set_autocast_{_n}_dtype"] = _legacy("setd", _dev)
for _k, _f in _LEGACY.items():
    _f.__name__ = _f.__qualname__ = _k
STATE_FUNCTIONS = {f.__name__: f for f in (
    is_autocast_enabled, set_autocast_enabled, get_autocast_dtype, set_autocast_dtype,
    is_autocast_cache_enabled, set_autocast_cache_enabled, clear_autocast_cache,
    autocast_increment_nesting, autocast_decrement_nesting)}
STATE_FUNCTIONS.update(_LEGACY)


def is_autocast_available(device_type):
    """Whether autocast supports ``device_type``."""
    return _device_type(device_type, "_is_autocast_available") in _DEFAULT_DTYPE


# ---------------------------------------------------------------- the dispatch hook

_ALL_CPU = []  # [True] when JAX has no accelerator: every tensor is on 'cpu'


def _tensor_device(t):
    if not _ALL_CPU:
        from .. import cuda
        _ALL_CPU.append(not cuda.is_available())
    return "cpu" if _ALL_CPU[0] else t.device.type


def _first_tensor(targs):
    for a in targs:
        if isinstance(a, Tensor):
            return a
        if isinstance(a, tuple):
            for x in a:
                if isinstance(x, Tensor):
                    return x
    return None


def _eligible(t, dev):
    dt = t.dtype
    return dt.is_floating_point and dt is not D.float64 and _tensor_device(t) == dev


def _cached_cast(a, to, dev, lower):
    """torch's cached_cast: eligible tensors to ``to``; leaf fp32 weights cached per region."""
    if isinstance(a, tuple):
        return tuple(_cached_cast(x, to, dev, lower) for x in a)
    if not isinstance(a, Tensor):
        if isinstance(a, (np.ndarray, jax.Array)) and a.dtype != np.float64 and \
                jnp.issubdtype(a.dtype, jnp.floating):  # an op's internal constant (dropout noise)
            return a.astype(to.np)
        return a
    if a.dtype is to or not _eligible(a, dev):
        return a
    if (to is lower and a.dtype is D.float32 and a._rg and a._grad_fn is None and a._base is None
            and _S.cache_enabled):
        hit = _S.cache.get(id(a))
        if hit is not None and hit[0]() is a:
            return hit[1]
        c = a._to_dtype(to)
        _S.cache[id(a)] = (weakref.ref(a), c)
        return c
    return a._to_dtype(to)


_dtype_pos = {}  # op name -> index of its 'dtype' static


def _set_opt_dtype(E, targs, statics, dev):
    i = _dtype_pos.get(E.name)
    if i is None:
        i = _dtype_pos[E.name] = E.snames.index("dtype")
    first = targs[0]
    if statics[i] is None and isinstance(first, Tensor) and _eligible(first, dev):
        statics = statics[:i] + (D.float32,) + statics[i + 1:]
    return statics


_BCE_BANNED = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using "
    "torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast.")


_NAMES = frozenset(P.CPU) | frozenset(P.CUDA)  # ops with a policy on some device


def _hook(E, targs, statics):
    if E.name not in _NAMES:
        return targs, statics
    on = _S.enabled
    if not on:
        return targs, statics
    first = _first_tensor(targs)
    if first is None:
        return targs, statics
    dev = _tensor_device(first)
    if dev not in on:
        return targs, statics
    pol = (P.CPU if dev == "cpu" else P.CUDA).get(E.name)
    if pol is None:
        return targs, statics
    if callable(pol):
        pol = pol(dict(zip(E.snames, statics)), targs)
        if pol is None:
            return targs, statics
    lower = _S.dtype[dev]
    if pol is P.SET_OPT:
        return targs, _set_opt_dtype(E, targs, statics, dev)
    if pol is P.BANNED:
        raise RuntimeError(_BCE_BANNED)
    if pol is P.LOWER:
        to = lower
    elif pol is P.FP32:
        to = D.float32
    else:  # PROMOTE: the widest of the autocast dtype and the eligible args
        to = lower
        for a in targs:
            for x in (a if isinstance(a, tuple) else (a,)):
                if isinstance(x, Tensor) and _eligible(x, dev):
                    to = D.promote_types(to, x.dtype)
    return tuple(_cached_cast(a, to, dev, lower) for a in targs), statics


# ---------------------------------------------------------------- autocast


def autocast_decorator(autocast_instance, func):
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)
    decorate_autocast.__script_unsupported = "@autocast() decorator is not supported in script mode"
    return decorate_autocast


class autocast:
    r"""Context manager / decorator running a region in mixed precision (see torch.autocast)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{self.device}'")
        supported = [D.bfloat16, D.float16]
        self.custom_backend_name = "privateuseone"
        self._cache_enabled = (is_autocast_cache_enabled() if cache_enabled is None
                               else cache_enabled)
        name = self.device if self.device == self.custom_backend_name else self.device.upper()
        if enabled:
            if self.device == "cuda":
                from ..cuda.amp.common import amp_definitely_not_available
                from .. import cuda
                if amp_definitely_not_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                                  "autocast.", stacklevel=2)
                    enabled = False
                elif self.fast_dtype == D.bfloat16 and not cuda.is_bf16_supported():
                    raise RuntimeError("Current CUDA Device does not support bfloat16. Please "
                                       "switch dtype to float16.")
            elif self.fast_dtype not in supported:
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. "
                              f"Disabling autocast.\n{name} Autocast only supports dtypes of "
                              + ", ".join(map(str, supported)) + " currently.", stacklevel=2)
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        set_autocast_enabled(self.device, self._enabled)
        set_autocast_dtype(self.device, self.fast_dtype)
        autocast_increment_nesting()
        set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        # drop the cache when leaving the outermost autocast region
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)")
        return autocast_decorator(self, func)


class _UnmanagedAutocast(autocast):
    pass


def _enter_autocast(*vals):
    mode = _UnmanagedAutocast(*vals)
    mode.__enter__()
    return mode


def _exit_autocast(mode):
    mode.__exit__(None, None, None)


def _cast_value(value, device_type, dtype):
    """torch.amp.autocast_mode._cast: eligible tensors in (nested) containers to ``dtype``."""
    if isinstance(value, Tensor):
        ok = value.is_floating_point() and value.device.type == device_type and \
            value.dtype is not D.float64
        return value.to(dtype) if ok else value
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast_value(k, device_type, dtype): _cast_value(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        it = (_cast_value(v, device_type, dtype) for v in value)
        return type(value)(it) if isinstance(value, (list, tuple)) else it
    return value


_cast = _cast_value  # torch's name (torch.amp.autocast_mode._cast)


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for ``forward`` of an autograd.Function (see torch.amp.custom_fwd)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        on = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if on:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast_value(args, device_type, cast_inputs),
                           **_cast_value(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for ``backward`` of an autograd.Function: runs it in forward's autocast state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd
