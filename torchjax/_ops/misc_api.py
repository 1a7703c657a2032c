"""Tensor methods and torch.* functions with little or no array math: predicates, legacy
constructors, in-place Python callbacks, memory flags, DLPack, post-accumulate-grad hooks."""
import math
import numbers
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._size import Size
from .._tensor import Tensor, wrap
from .._views import ViewMeta
from .registry import composite, call, OPS, METHODS, _check_int


def _need_tensor(fn, name, pos, v):
    if not isinstance(v, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(v).__name__}")


# ---------------------------------------------------------------- Python numbers -> dtype

_CNAME = {D.uint8: "uint8_t", D.int8: "int8_t", D.int16: "int16_t", D.int32: "int",
          D.int64: "int64_t", D.uint16: "uint16_t", D.uint32: "uint32_t", D.uint64: "uint64_t",
          D.float32: "float", D.float64: "double", D.float16: "c10::Half",
          D.bfloat16: "c10::BFloat16"}
_FMAX = {D.float32: 3.4028234663852886e38, D.float16: 65504.0, D.bfloat16: 3.3895313892515355e38}


def checked(v, dt, name=None, via_double=False):
    """torch's Scalar.to<T>() (c10::checked_convert) of a Python number for dtype dt: its
    overflow errors (naming the C type, or `name`); returns a value numpy casts as torch does
    (floats truncate toward 0, negative ints wrap into unsigned types). via_double: half types
    are reached through double (scalar_tensor), so they only overflow to inf."""
    if via_double and dt in (D.float16, D.bfloat16):
        dt, name = D.float64, name or "double"
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        _check_int(int(v))
    if isinstance(v, bool) or dt is D.bool or dt.is_complex:
        return v
    err = RuntimeError(f"value cannot be converted to type {name or _CNAME[dt]} without overflow")
    if isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real):
        if v.imag != 0:
            raise err
        v = v.real
    if dt.is_floating_point:
        if dt in _FMAX and math.isfinite(v) and abs(v) > _FMAX[dt]:
            raise err
        return v
    info = np.iinfo(dt.np)
    if isinstance(v, numbers.Integral):
        if v > info.max or (v < info.min and not (info.min == 0 and -v <= info.max)):
            raise err
        return int(v)
    if math.isnan(v) or not info.min <= v <= info.max:
        raise err
    return int(v)


def _np_value(v, dt):
    with np.errstate(over="ignore"):
        return np.asarray(checked(v, dt, via_double=True)).astype(dt.np)


def _fill_check(targs, statics):
    """torch converts a Number fill value to the tensor's type first (its overflow errors)."""
    if isinstance(targs[1], numbers.Number):
        checked(targs[1], targs[0].dtype)


OPS["fill"].value_check = _fill_check


# ---------------------------------------------------------------- predicates

@composite(method=False, name="resize_as_")
def _resize_as_function(input, the_template, *, memory_format=None):
    _need_tensor("resize_as_", "input", 1, input)
    _need_tensor("resize_as_", "the_template", 2, the_template)
    return input.resize_(the_template.shape)


@composite(function=False, name="resize_as_")
def _resize_as_method(self, the_template, *, memory_format=None):
    _need_tensor("resize_as_", "the_template", 1, the_template)
    return self.resize_(the_template.shape)


@composite(method=False)
def is_inference(input):
    _need_tensor("is_inference", "input", 1, input)
    return input.is_inference()


@composite(method=False)
def is_signed(input):
    _need_tensor("is_signed", "input", 1, input)
    return input.is_signed()


@composite(function=False, name="is_same_size")
def _is_same_size_method(self, other):
    _need_tensor("is_same_size", "other", 1, other)
    return self.shape == other.shape


@composite(method=False)
def is_same_size(input, other):
    _need_tensor("is_same_size", "input", 1, input)
    _need_tensor("is_same_size", "other", 2, other)
    return input.shape == other.shape


@composite(method=False)
def get_device(input):
    _need_tensor("get_device", "input", 1, input)
    return input.get_device()


@composite(method=False)
def detach(input):
    _need_tensor("detach", "input", 1, input)
    return input.detach()


def _is_nonzero(self):
    from .._api import is_nonzero
    return is_nonzero(self)


METHODS["is_nonzero"] = _is_nonzero
METHODS["resolve_conj"] = lambda self: self  # torchjax conjugates eagerly: no conj bit to resolve
METHODS["resolve_neg"] = lambda self: self
METHODS["const_data_ptr"] = lambda self: self.data_ptr()
METHODS["output_nr"] = property(lambda self: self._output_nr if self._grad_fn is not None else 0)
for _flag in ("is_mps", "is_xpu", "is_mtia", "is_ipu", "is_maia", "is_vulkan", "is_xla",
              "is_nested", "is_mkldnn", "is_sparse_csr"):
    METHODS[_flag] = property(lambda self: False)


# ---------------------------------------------------------------- fill / zero

_NO_VALUE = object()


@composite(method=False)
def fill(input, value=_NO_VALUE):
    if value is _NO_VALUE or not isinstance(input, Tensor):
        got = ", ".join(type(a).__name__ for a in (input, value) if a is not _NO_VALUE)
        raise TypeError(f"fill() received an invalid combination of arguments - got ({got}), but "
                        "expected one of:\n * (Tensor input, Tensor value)\n"
                        " * (Tensor input, Number value)\n")
    return call(OPS["fill"], (input, value), ())


@composite(method=False)
def fill_(input, value):
    _need_tensor("fill_", "input", 1, input)
    return input.fill_(value)


@composite(method=False)
def zero_(input):
    _need_tensor("zero_", "input", 1, input)
    return input.zero_()


@composite(function=False)
def fill_diagonal_(self, fill_value, wrap=False):
    """torch's: fill the strided main diagonal of self's storage (and, with wrap, of every
    (width+1)-th row block of a tall matrix)."""
    n = self.dim()
    if n < 2:
        raise RuntimeError("dimensions must larger than 1")
    h, w = self.shape[0], self.shape[1]
    if n > 2 and any(s != h for s in self.shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    step, off = sum(self.stride()), self.storage_offset()
    size = min(h, w)
    self.as_strided((size,), (step,), off).fill_(value)
    if wrap and n == 2 and h > w + 1:
        more = (self.numel() + w) // (w + 1) - size
        self.as_strided((more,), (step,), off + self.stride(0) * (w + 1)).fill_(value)
    return self


@composite(function=False)
def chalf(self, memory_format=None):
    raise TypeError("Tensor.chalf(): torch.complex32 (ComplexHalf) is not available in torchjax: "
                    "JAX has no complex32 dtype")


# ---------------------------------------------------------------- memory: pinned, shared

_ACCEL_NONE = "Cannot access accelerator device when none is available."


def _deprecated_device(fn, line):
    warnings.warn(f"The argument 'device' of Tensor.{fn}() is deprecated. Please do not pass this "
                  f"argument. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                  f"Memory.cpp:{line}.)", DeprecationWarning, stacklevel=3)


@composite(function=False)
def is_pinned(self, device=None):
    if device is not None:
        _deprecated_device("is_pinned", 31)
    return getattr(self, "_pinned", False)


@composite(function=False)
def pin_memory(self, device=None):
    """Without an accelerator torch has no pinned allocator and raises; with one, a copy
    marked pinned (JAX manages host transfer buffers itself)."""
    from .._size import accelerators, device as _dev
    if device is not None:
        _deprecated_device("pin_memory", 46)
    if is_pinned(self, device):
        return self
    if device is not None and _dev(device).type == "cpu":
        raise RuntimeError("CPU device type not an accelerator.")
    if not accelerators():
        raise RuntimeError(_ACCEL_NONE)
    t = self.clone()
    t._pinned = True
    return t


_SHARED = weakref.WeakSet()  # storages moved to "shared memory" by share_memory_


@composite(function=False)
def share_memory_(self):
    """A no-op move (device arrays are not process-shared here); is_shared() then reports it."""
    _SHARED.add(self._st)
    return self


@composite(function=False)
def is_shared(self):
    return self.is_cuda or self._st in _SHARED


# ---------------------------------------------------------------- Python callbacks per element

def _host_values(t):
    a = t._numpy()
    if t.dtype in (D.float16, D.bfloat16):
        a = a.astype(np.float64)
    return a.reshape(-1).tolist()


def _store(v, dt):
    """torch's store_scalar: how a Python callback's result is written into a dtype-dt element."""
    if dt is D.bool:
        if isinstance(v, float):
            return bool(v)
        if isinstance(v, complex):
            return bool(v.real) or bool(v.imag)
        return bool(_index(v))
    tp = type(v)
    if dt.is_complex and hasattr(tp, "__complex__"):
        return complex(v)
    if dt.is_floating_point or dt.is_complex:  # PyFloat_AsDouble: __float__, else __index__
        if hasattr(tp, "__float__"):
            return float(v)
        if hasattr(tp, "__index__"):
            return float(_index(v))
        raise TypeError(f"must be real number, not {tp.__name__}")
    name = str(dt)[6:]
    if isinstance(v, float):
        return checked(v, dt, name)
    v = _index(v)
    if dt is D.uint64:
        if v < 0:
            raise OverflowError("can't convert negative int to unsigned")
    elif not -2**63 <= v < 2**63:
        raise ValueError("Overflow when unpacking long long")
    return checked(v, dt, name)


def _index(v):
    import operator
    return operator.index(v)


def _apply(self, name, fn, others=(), names=()):
    """torch's apply_/map_/map2_: fn on each element (and the others' broadcast elements) as
    Python numbers; the results are written back into self."""
    if self._rg:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")
    for o, arg in zip(others, names):
        if o.dtype is not self.dtype or o.device != self.device:
            raise TypeError(f"{name}: expected {self.type()} for '{arg}' (got {o.type()})")
    if not self.is_cpu:
        raise TypeError(f"{name} is only implemented on CPU tensors")
    cols = [_host_values(self)] + [_host_values(o.expand_as(self)) for o in others]
    out = [_store(fn(*vals), self.dtype) for vals in zip(*cols)]
    with np.errstate(over="ignore", invalid="ignore"):
        arr = np.array(out).astype(self.dtype.np)
    self._assign(jnp.asarray(arr.reshape(self.shape)))
    return self


@composite(function=False)
def apply_(self, callable):
    return _apply(self, "apply_", callable)


@composite(function=False)
def map_(self, tensor, callable):
    _need_tensor("map_", "other", 1, tensor)
    return _apply(self, "map_", callable, (tensor,), ("other",))


@composite(function=False)
def map2_(self, x, y, callable):
    _need_tensor("map2_", "x", 1, x)
    _need_tensor("map2_", "y", 2, y)
    return _apply(self, "map2_", callable, (x, y), ("x", "y"))


# ---------------------------------------------------------------- autograd hooks

@composite(function=False)
def register_post_accumulate_grad_hook(self, hook):
    """hook(tensor) runs after the leaf's .grad has been accumulated in backward()."""
    from collections import OrderedDict
    from ..utils.hooks import RemovableHandle
    if not self._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if getattr(self, "_post_acc_hooks", None) is None:
        self._post_acc_hooks = OrderedDict()
    handle = RemovableHandle(self._post_acc_hooks)
    self._post_acc_hooks[handle.id] = hook
    return handle


# ---------------------------------------------------------------- legacy Tensor.new

_NEW_SIGS = (("(*, torch.device device = None)", 2), ("(torch.Storage storage)", 1),
             ("(Tensor other)", 1), ("(tuple of ints size, *, torch.device device = None)", 3),
             ("(object data, *, torch.device device = None)", 3))
_CPP_TYPE = {D.float32: "float", D.float64: "double", D.float16: "c10::Half",
             D.bfloat16: "c10::BFloat16", D.int64: "long int", D.int32: "int",
             D.int16: "short int", D.int8: "signed char", D.uint8: "unsigned char", D.bool: "bool",
             D.complex64: "c10::complex<float>", D.complex128: "c10::complex<double>"}


def _arg_type(v):
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, (D.dtype,)):
        return "torch.dtype"
    return type(v).__name__


def _new_error(args, kwargs):
    """torch's argument parser message for Tensor.new with unknown keywords."""
    kw = [(k, kwargs[k]) for k in reversed(list(kwargs))]
    pos = ", ".join(_arg_type(a) for a in args)
    kws = [f"{k}={_arg_type(v)}" for k, v in kw]
    got = pos + "".join(", " + k for k in kws) if args else "".join(k + ", " for k in kws)
    lines = []
    for sig, n in _NEW_SIGS:
        lines.append(f" * {sig}\n")
        if len(args) + len(kw) == n:
            lines.append("      didn't match because some of the keywords were incorrect: "
                         + ", ".join(k for k, _ in kw) + "\n")
    return TypeError(f"new() received an invalid combination of arguments - got ({got}), but "
                     "expected one of:\n" + "".join(lines))


def _options(t):
    return (f"TensorOptions(dtype={_CPP_TYPE.get(t.dtype, t.dtype)}, device={t.device}, "
            "layout=Strided, requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


@composite(function=False)
def new(self, *args, **kwargs):
    """Legacy constructor in self's dtype and device: new(), new(*sizes), new(size),
    new(tensor) (an alias of a tensor of the same dtype), new(data)."""
    from .. import _creation as C
    if set(kwargs) - {"device"}:
        raise _new_error(args, kwargs)
    device = kwargs.get("device") or self.device
    if len(args) == 1 and isinstance(args[0], Tensor):
        o = args[0]
        if o.dtype is not self.dtype or o.device != self.device:
            raise TypeError(f"expected {_options(self)} (got {_options(o)})")
        return o.detach()
    if len(args) == 1 and not isinstance(args[0], (numbers.Number, Size)):
        data = args[0]
        if isinstance(data, str) or not hasattr(data, "__len__") and not hasattr(data, "__array__"):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        return C.tensor(data, dtype=self.dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    for i, a in enumerate(args):
        if isinstance(a, float):
            raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
        if not isinstance(a, numbers.Integral):
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} "
                            f"with error \"type must be tuple of ints,but got "
                            f"{type(a).__name__}\"")
    return C.empty(*args if args else (0,), dtype=self.dtype, device=device)


# ---------------------------------------------------------------- dim_order

def _contig(shape, stride, order):
    expect = 1
    for d in order:
        if shape[d] != 1:
            if stride[d] != expect:
                return False
            expect *= shape[d]
    return True


def _is_format(t, fmt):
    n, shape, stride = t.dim(), t.shape, t.stride()
    name = getattr(fmt, "name", "")
    if name == "channels_last":
        return n == 4 and _contig(shape, stride, (1, 3, 2, 0))
    if name == "channels_last_3d":
        return n == 5 and _contig(shape, stride, (1, 4, 3, 2, 0))
    if name == "contiguous_format":
        return _contig(shape, stride, range(n - 1, -1, -1))
    return False


def _swap(shape, stride, a, b):
    """torch._prims_common's should_swap for one tensor: -1 keep, 1 swap, 0 ambiguous."""
    sa, sb = stride[a], stride[b]
    if sa == 0 or sb == 0:
        return 0
    ge = lambda x, y: True if y == 0 else (False if x == 0 else (x >= y or x % y == 0))  # noqa
    if sa == sb:
        return 0 if ge(shape[b], shape[a]) else 1
    if ge(sb, sa):
        return -1
    return 1 if ge(sa, sb) else 0


@composite(function=False)
def dim_order(self, *, ambiguity_check=False):
    from .. import memory_format
    bad = TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
    if not isinstance(ambiguity_check, bool):
        if not isinstance(ambiguity_check, list) or not all(
                isinstance(m, memory_format) for m in ambiguity_check):
            raise bad
    shape, stride, n = self.shape, self.stride(), self.dim()
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    multiple = any(a == b for a, b in zip(stride, stride[1:])) or any(s == 1 for s in shape)
    if ((ambiguity_check if isinstance(ambiguity_check, bool) else True) and multiple
            and sum(_is_format(self, m) for m in formats) != 1):
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one "
                           "of the given memory formats.")
    if n < 2:
        return tuple(range(n))
    cont, cl = _contig(shape, stride, range(n - 1, -1, -1)), _is_format_cl(self)
    if cont and not cl:
        return tuple(range(n))
    if cl and not cont:
        return (0, *range(2, n), 1)
    perm = list(reversed(range(n)))
    for i in range(1, n):
        d1 = i
        for d0 in reversed(range(i)):
            c = _swap(shape, stride, perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    if ambiguity_check and any(
            _swap(shape, stride, perm[i], perm[i + 1]) != -1 for i in range(n - 1)):
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(reversed(perm))


def _is_format_cl(t):
    """torch's fast path tests channels_last (4-d) only."""
    return t.dim() == 4 and _contig(t.shape, t.stride(), (1, 3, 2, 0))


# ---------------------------------------------------------------- creation

@composite(method=False)
def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    from .. import _creation as C
    if isinstance(s, Tensor) and s.dim() == 0:
        s = s.item()
    if not isinstance(s, numbers.Number):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not "
                        f"{type(s).__name__}")
    dt = dtype or D._default[0]
    if pin_memory:
        _no_pinned()
    if requires_grad and not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    t = C.tensor(_np_value(s, dt), dtype=dt, device=device)
    return t.requires_grad_() if requires_grad else t


def _no_pinned():
    from .._size import accelerators
    if not accelerators():
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no "
                           "pinned memory allocator is available on this system.")


@composite(method=False)
def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """An uninitialised tensor whose memory holds the dims in physical_layout order."""
    from .. import _creation as C
    size, perm = tuple(size), tuple(physical_layout)
    if len(size) != len(perm):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(perm)}")
    seen = set()
    for i, p in enumerate(perm):
        if not 0 <= p < len(size):
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and "
                               f"{len(size) - 1}, but got {p} at index {i}).  NB: negative dims "
                               "not currently supported; file an issue if you want it.")
        if p in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(p)
    if pin_memory:
        _no_pinned()
    t = C.empty(*[size[p] for p in perm], dtype=dtype, device=device)
    inv = tuple(int(i) for i in np.argsort(perm))
    pstride = t.stride()
    t._vm = ViewMeta(size, tuple(pstride[i] for i in inv), 0)
    t._vc, t._vv = jnp.transpose(t._st.value, inv), t._st.version
    return t.requires_grad_() if requires_grad else t


_READONLY_WARNED = []


@composite(method=False)
def frombuffer(buffer, *args, dtype=None, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor of the buffer's bytes read as dtype. Unlike torch the memory is copied (JAX
    arrays are immutable), so later writes on either side are not shared."""
    from .._api import warn_once
    if args:
        raise TypeError(f"frombuffer() takes from 2 to 1 positional arguments but "
                        f"{len(args) + 1} were given")
    if dtype is None:
        raise TypeError('frombuffer() missing 1 required positional arguments: "dtype"')
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    if view.readonly:
        warn_once("The given buffer is not writable, and PyTorch does not support "
                  "non-writable tensors. This means you can write to the underlying (supposedly "
                  "non-writable) buffer using the tensor. You may want to copy the buffer to "
                  "protect its data or make it writable before converting it to a tensor. This "
                  "type of warning will be suppressed for the rest of this program. (Triggered "
                  "internally at /__w/pytorch/pytorch/torch/csrc/utils/tensor_new.cpp:1556.)")
    n, size = view.nbytes, dtype.itemsize
    if n <= 0 or count == 0:
        raise ValueError(f"both buffer length ({n}) and count ({count}) must not be 0")
    if not 0 <= offset < n:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({n} bytes) minus 1")
    if count < 0 and (n - offset) % size:
        raise ValueError(f"buffer length ({n - offset} bytes) after offset ({offset} bytes) "
                         f"must be a multiple of element size ({size})")
    if count < 0:
        count = (n - offset) // size
    if offset + count * size > n:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({n} bytes)")
    if requires_grad and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    raw = np.frombuffer(view.cast("B"), np.uint8, count * size, offset)
    t = wrap(jnp.asarray(raw.view(dtype.np)))
    return t.requires_grad_() if requires_grad else t


# ---------------------------------------------------------------- DLPack

def _dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    if self._rg:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    return self._value.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device,
                                  copy=copy)


METHODS["__dlpack__"] = _dlpack
METHODS["__dlpack_device__"] = lambda self: self._value.__dlpack_device__()


@composite(method=False)
def to_dlpack(tensor):
    """A DLPack capsule of the tensor's array (unlike __dlpack__, no requires_grad check)."""
    _need_tensor("to_dlpack", "tensor", 1, tensor)
    return tensor._value.__dlpack__()


class _Capsule:
    """A bare DLPack capsule presented with the protocol's methods for jax.dlpack.from_dlpack."""

    def __init__(self, capsule):
        import ctypes
        api = ctypes.pythonapi
        api.PyCapsule_IsValid.restype = ctypes.c_int
        api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
        api.PyCapsule_GetPointer.restype = ctypes.c_void_p
        api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        for name, at in ((b"dltensor", 8), (b"dltensor_versioned", 40)):
            if api.PyCapsule_IsValid(capsule, name):
                ptr = api.PyCapsule_GetPointer(capsule, name) + at  # DLTensor.device
                dev = (ctypes.c_int32 * 2).from_address(ptr)
                self.capsule, self.device = capsule, (dev[0], dev[1])
                return
        raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules "
                           "can be consumed only once, so you might have already constructed a "
                           "tensor from it once.")

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return self.device


@composite(method=False)
def from_dlpack(ext_tensor):
    """A tensor from any DLPack exporter (or capsule), through jax.dlpack. JAX arrays are
    immutable, so the result does not write through to the producer's memory."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor.detach()
    if not hasattr(ext_tensor, "__dlpack__"):
        ext_tensor = _Capsule(ext_tensor)
    return wrap(jax.dlpack.from_dlpack(ext_tensor))
