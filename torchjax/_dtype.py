"""torch dtypes over numpy/JAX dtypes, and torch's type-promotion rules."""
import builtins as _b

import ml_dtypes
import numpy as np


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize",
                 "_cat", "_legacy", "_storage")

    def __init__(self, name, np_dtype, cat, legacy, storage):
        self.name, self.np = name, np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._cat = cat  # 0 bool, 1 int, 2 float, 3 complex
        self.is_floating_point, self.is_complex = cat == 2, cat == 3
        self.is_signed = cat >= 2 or name.startswith("int")
        self._legacy, self._storage = legacy, storage

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_lookup, (self.name,))

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float64": complex128, "complex128": complex128}.get(self.name, complex64)


def _lookup(name):
    return globals()[name]


_TABLE = [  # name, numpy dtype, category, legacy tensor type, storage class, aliases
    ("bool", np.bool_, 0, "BoolTensor", "BoolStorage", ()),
    ("uint8", np.uint8, 1, "ByteTensor", "ByteStorage", ()),
    ("int8", np.int8, 1, "CharTensor", "CharStorage", ()),
    ("int16", np.int16, 1, "ShortTensor", "ShortStorage", ("short",)),
    ("int32", np.int32, 1, "IntTensor", "IntStorage", ("int",)),
    ("int64", np.int64, 1, "LongTensor", "LongStorage", ("long",)),
    ("uint16", np.uint16, 1, None, None, ()),
    ("uint32", np.uint32, 1, None, None, ()),
    ("uint64", np.uint64, 1, None, None, ()),
    ("float16", np.float16, 2, "HalfTensor", "HalfStorage", ("half",)),
    ("bfloat16", ml_dtypes.bfloat16, 2, "BFloat16Tensor", "BFloat16Storage", ()),
    ("float32", np.float32, 2, "FloatTensor", "FloatStorage", ("float",)),
    ("float64", np.float64, 2, "DoubleTensor", "DoubleStorage", ("double",)),
    ("complex64", np.complex64, 3, "ComplexFloatTensor", "ComplexFloatStorage", ("cfloat",)),
    ("complex128", np.complex128, 3, "ComplexDoubleTensor", "ComplexDoubleStorage", ("cdouble",)),
]
ALL = []
_by_np = {}
for _n, _np, _c, _leg, _st, _al in _TABLE:
    _d = dtype(_n, _np, _c, _leg, _st)
    globals()[_n] = _d
    for _a in _al:
        globals()[_a] = _d
    ALL.append(_d)
    _by_np[_d.np] = _d
del _n, _np, _c, _leg, _st, _al, _d
ALIASES = {a: globals()[n] for n, *_r, al in _TABLE for a in al}

# ScalarType names torch uses in messages ("Float", "Long", ...)
SCALAR_NAME = {bool: "Bool", uint8: "Byte", int8: "Char", int16: "Short", int32: "Int",
               int64: "Long", uint16: "UInt16", uint32: "UInt32", uint64: "UInt64",
               float16: "Half", bfloat16: "BFloat16", float32: "Float", float64: "Double",
               complex64: "ComplexFloat", complex128: "ComplexDouble"}


def from_np(np_dtype):
    """torchjax dtype of a numpy/JAX dtype."""
    try:
        return _by_np[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported "
                        "types are: float64, float32, float16, complex64, complex128, int64, int32, "
                        "int16, int8, uint64, uint32, uint16, uint8, and bool.") from None


# ---- default dtype (torch keeps it process-wide) ----
_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def default_complex():
    return complex128 if _default[0] is float64 else complex64


# ---- promotion ----
_INT_ORDER = [uint8, int8, int16, int32, int64]
_FLOAT_BITS = {float16: 16, bfloat16: 16, float32: 32, float64: 64}
_BIG_UINTS = (uint16, uint32, uint64)
_promote_cache = {}


def promote_types(a, b):
    key = (a, b)
    r = _promote_cache.get(key)
    if r is None:
        r = _promote_cache[key] = _promote(a, b)
    return r


def _promote(a, b):
    if a is b:
        return a
    if a in _BIG_UINTS or b in _BIG_UINTS:  # only a real floating type promotes with them
        if a._cat == 2 or b._cat == 2:
            return a if a._cat == 2 else b
        raise RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, attempted "
                           f"to promote {SCALAR_NAME[a]} and {SCALAR_NAME[b]}")
    if a is bool:
        return b
    if b is bool:
        return a
    ca, cb = a._cat, b._cat
    if ca == 1 and cb == 1:
        if {a, b} == {uint8, int8}:
            return int16
        return max(a, b, key=_INT_ORDER.index)
    if ca == 3 or cb == 3:
        hi = max(a, b, key=lambda d: (d._cat, d.itemsize))
        other = b if hi is a else a
        if hi is complex128 or other is float64:
            return complex128
        return complex64
    if ca == 2 and cb == 2:
        if {a, b} == {float16, bfloat16}:
            return float32
        return max(a, b, key=_FLOAT_BITS.get)
    return a if ca == 2 else b


def can_cast(from_, to):
    """torch.can_cast: no float->int, complex->real, or non-bool->bool casts."""
    return from_._cat <= to._cat


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._cat == 3:
        return higher
    if lower._cat == 3:
        return higher.to_complex() if higher._cat == 2 else lower
    if higher._cat == 2:
        return higher
    if higher is bool or lower._cat == 2:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(v):
    """dtype a Python number takes as a 'wrapped number' in promotion."""
    if isinstance(v, _b.bool):
        return bool
    if isinstance(v, _b.int):
        return int64
    if isinstance(v, _b.complex):
        return default_complex()
    return _default[0]


def result_type_of(dims, zeros, wrapped):
    """torch's result_type from three priority groups of dtypes (dim>0 tensors, 0-d tensors,
    Python scalars)."""
    def fold(ds):
        r = None
        for d in ds:
            r = d if r is None else promote_types(r, d)
        return r
    return _combine(fold(dims), _combine(fold(zeros), fold(wrapped)))


class finfo:
    def __init__(self, type=None):
        type = type or _default[0]
        if type._cat < 2:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to "
                            "handle 'torch.finfo'")
        fi = ml_dtypes.finfo(type.to_real().np)
        self.bits, self.dtype = fi.bits, type.to_real().name
        self.eps, self.max, self.min = _b.float(fi.eps), _b.float(fi.max), _b.float(fi.min)
        self.tiny = self.smallest_normal = _b.float(fi.smallest_normal)
        self.resolution = 10.0 ** -fi.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    def __init__(self, type):
        if type._cat != 1 and type is not bool:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        ii = np.iinfo(type.np) if type is not bool else None
        self.bits = 8 if ii is None else ii.bits
        self.min, self.max = (0, 1) if ii is None else (_b.int(ii.min), _b.int(ii.max))
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={_b.float(self.min):g}, max={_b.float(self.max):g}, dtype={self.dtype})"
