"""Tensor creation from Python data and shapes (no tensor inputs, so not op-table entries)."""
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._jit import lazy_jit
from ._size import device as _device_cls, jax_device
from ._tensor import Tensor, wrap, _new
from ._grad_state import STATE


def _infer_dtype(data):
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return D.from_np(data.dtype)
    if isinstance(data, bool):
        return D.bool
    if isinstance(data, numbers.Integral):
        return D.int64
    if isinstance(data, numbers.Real):
        return D._default[0]
    if isinstance(data, numbers.Complex):
        return D.default_complex()
    if isinstance(data, (list, tuple)):
        r = None
        for x in data:
            d = _infer_dtype(x)
            r = d if r is None else D.promote_types(r, d)
        return r or D._default[0]
    if hasattr(data, "__array__"):
        return D.from_np(np.asarray(data).dtype)
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _to_host(data):
    if isinstance(data, Tensor):
        return data.detach()._numpy()
    if isinstance(data, (list, tuple)):
        return [_to_host(x) for x in data]
    return data


DEFAULT_DEVICE = [None]  # torch.set_default_device: factories without device= place here


def _place(arr, device):
    if device is None:
        device = DEFAULT_DEVICE[0]
    if device is not None:
        d = device if isinstance(device, _device_cls) else _device_cls(device)
        if d.type != "cpu":
            return jax.device_put(arr, jax_device(d))
    return arr


def _finish(arr, device, requires_grad):
    t = wrap(_place(arr, device))
    if requires_grad:
        t.requires_grad_(True)
    if STATE.inference:
        t._inference = True
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    dt = dtype or _infer_dtype(data)
    host = np.array(_to_host(data))
    if host.dtype == object:
        raise ValueError("expected sequence of length consistent with the rest of the data")
    if dt.is_floating_point and host.dtype.kind == "c":
        raise TypeError("can't convert complex to float")
    with np.errstate(over="ignore", invalid="ignore"):   # torch overflows to inf silently
        host = host.astype(dt.np)
    return _finish(jnp.asarray(host), device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(a):
    """A tensor with a's dtype and values. Memory is NOT shared: JAX arrays are immutable."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    return wrap(jnp.asarray(a, dtype=D.from_np(a.dtype).np))


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"empty(): argument 'size' (position 1) must be tuple of ints, but found "
                            f"element of type {type(s).__name__} at pos {len(out)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


@lazy_jit(static_argnums=(0, 2))
def _full(shape, value, dt):
    return jnp.full(shape, value, dtype=dt)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, **kw):
    if dtype is None:
        v = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
        dtype = D.scalar_dtype(v)
    if type(fill_value) is int and not -2 ** 63 <= fill_value < 2 ** 63:
        from ._ops.misc_api import checked
        checked(fill_value, dtype)  # torch's overflow errors
    shape = _size((size,))
    t = _finish(_full(shape, fill_value, dtype.np), device, requires_grad)
    return _into(out, t)


def _into(out, t):
    if out is None:
        return t
    out._st.value = t._value.astype(out.dtype.np)
    out._vm, out._vv = None, -1
    out._st.version += 1
    return out


def _filled(value):
    def make(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False, memory_format=None):
        dtype = dtype or D._default[0]
        t = _finish(_full(_size(size), value, dtype.np), device, requires_grad)
        return _into(out, t)
    return make


zeros = _filled(0)
ones = _filled(1)
empty = _filled(0)


def _like(maker):
    def like(input, dtype=None, *, device=None, requires_grad=False, layout=None,
             memory_format=None, pin_memory=False):
        return maker(tuple(input.shape), dtype=dtype or input.dtype,
                     device=device or input.device, requires_grad=requires_grad)
    return like


zeros_like, ones_like, empty_like = _like(zeros), _like(ones), _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, **kw):
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def legacy_new(cls, *args, **kwargs):
    """Tensor(...)/FloatTensor(...): sizes or data, in the class's dtype."""
    dtype = kwargs.pop("dtype", None) or getattr(cls, "_legacy_dtype", None) or D._default[0]
    device = kwargs.pop("device", None)
    if len(args) == 1 and not isinstance(args[0], numbers.Number) and not isinstance(args[0], Tensor):
        t = tensor(args[0], dtype=dtype, device=device)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        t = args[0]
    else:
        t = empty(*args, dtype=dtype, device=device)
    if cls is not Tensor and not getattr(cls, "_legacy_dtype", None):
        out = _new(cls)
        out._st, out._vm = t._st, t._vm
        return out
    return t


def _rebuild(arr, requires_grad):
    t = wrap(jnp.asarray(arr))
    t._rg = requires_grad
    return t


class _LegacyMeta(type):
    def __instancecheck__(cls, x):
        return isinstance(x, Tensor) and x.dtype is cls._legacy_dtype


def _legacy(dt):
    return _LegacyMeta(dt._legacy, (), {"__new__": lambda cls, *a, **k: legacy_new(cls, *a, dtype=dt, **k),
                                        "_legacy_dtype": dt})


LEGACY = {d._legacy: _legacy(d) for d in D.ALL if d._legacy}


def _rebuild_param(arr, requires_grad):
    from .nn.parameter import Parameter
    return Parameter(_rebuild(arr, False), requires_grad)
