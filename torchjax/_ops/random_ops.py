"""Random sampling: torch.rand/randn/randint/randperm/normal/bernoulli/multinomial/poisson,
the *_like factories and the in-place Tensor samplers (uniform_, normal_, random_, ...).

Numbers come from ``torchjax._rng.CPUGenerator`` (bit-exact with torch's CPU generator) and
are drawn on the host in numpy, then wrapped. Element order follows torch: a fresh result
is filled in C order; an in-place fill of a non-contiguous tensor walks its elements in
TensorIterator order (dims sorted by stride: memory order), and ``normal_`` on a
non-contiguous tensor uses torch's per-element kernel. ``*_like`` results keep the input's
layout in torch (preserve_format), so their values are placed in the input's memory order.
Autograd: a sampled tensor built from tensors that require grad gets torch's node name
(UniformBackward0, NormalBackward3, ...) with zero gradients, as in derivatives.yaml.
"""
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .. import _rng as R
from .. import random as _random
from .._tensor import Tensor, wrap
from .._grad_state import STATE
from .registry import composite, op, call, OPS
from ._util import broadcast_shapes

_MISSING = object()


# ------------------------------------------------------------------ helpers ----

def _gen(generator, fname):
    if generator is None:
        return _random.default_generator._impl
    if not isinstance(generator, _random.Generator):
        raise TypeError(f"{fname}() received an invalid combination of arguments - got "
                        f"(generator={type(generator).__name__}), but expected one of:\n"
                        " * (..., *, torch.Generator generator = None, ...)")
    return generator._impl


def _int_arg(v, fname, name, pos):
    if isinstance(v, Tensor) and not v.dtype.is_floating_point and not v.dtype.is_complex \
            and v.numel() == 1:
        return int(v.item())
    if isinstance(v, numbers.Integral):
        return int(v)
    raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be int, not "
                    f"{type(v).__name__}")


def _size_arg(fname, args, size=None, pos=1):
    """A *size / size= argument -> tuple of ints, with torch's errors."""
    if size is not None:
        if args:
            raise TypeError(f"{fname}() got multiple values for argument 'size'")
        args = (size,)
    if not args:
        raise TypeError(f"{fname}() received an invalid combination of arguments - got (), "
                        f"but expected one of:\n * (tuple of ints size, *, torch.Generator "
                        f"generator, Tensor out = None, torch.dtype dtype = None, ...)")
    seq = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    if isinstance(seq, Tensor) or not isinstance(seq, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'size' (position {pos}) must be tuple of ints, "
                        f"not {type(seq).__name__}")
    out = []
    for i, s in enumerate(seq):
        if isinstance(s, Tensor) and s.numel() == 1 and s.dtype._cat == 1:
            s = int(s.item())
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{fname}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(s).__name__}\"")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _is_contig(shape, stride):
    expect = 1
    for n, s in zip(reversed(shape), reversed(stride)):
        if n != 1:
            if s != expect:
                return False
            expect *= n
    return True


def _dense(shape, stride):
    """torch's is_non_overlapping_and_dense."""
    dims = sorted((s, n) for n, s in zip(shape, stride) if n != 1)
    expect = 1
    for s, n in dims:
        if s != expect:
            return False
        expect *= n
    return True


def _order(shape, stride):
    """C-order linear indices of the elements in TensorIterator's order for one output
    (None when that is plain C order)."""
    if _is_contig(shape, stride):
        return None
    nd = len(shape)
    perm = list(range(nd))[::-1]        # perm[0] is the fastest-moving dim

    def swap(d0, d1):
        s0, s1 = stride[d0], stride[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    order = np.arange(_numel(shape)).reshape(shape).transpose(perm[::-1]).ravel()
    return None if np.array_equal(order, np.arange(order.size)) else order


def _place(flat, shape, order):
    """Values drawn in iteration order -> an array in logical (C) order."""
    flat = np.asarray(flat).reshape(-1)
    if order is None:
        return flat.reshape(shape)
    out = np.empty_like(flat)
    out[order] = flat
    return out.reshape(shape)


def _check_overlap(shape, stride):
    if any(n > 1 and s == 0 for n, s in zip(shape, stride)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def _real_np(dt):
    return np.dtype(np.float32 if np.dtype(dt) == np.complex64 else np.float64)


def _fill(shape, stride, dt, draw, complex_view=False):
    """Draw numel values with ``draw(n, dtype, contiguous)`` (iteration order) and lay
    them out for a tensor of this shape/stride. complex_view: torch samples complex tensors
    through view_as_real (uniform_, normal_)."""
    dt = np.dtype(dt)
    contig = _is_contig(shape, stride)
    if complex_view and dt.kind == "c":
        rshape = tuple(shape) + (2,)
        rstride = tuple(2 * s for s in stride) + (1,)
        flat = draw(2 * _numel(shape), _real_np(dt), contig, cplx=True)
        arr = np.ascontiguousarray(_place(flat, rshape, _order(rshape, rstride)))
        return arr.view(dt).reshape(shape)
    return _place(draw(_numel(shape), dt, contig), shape, _order(shape, stride))


def _to_jax(arr, like=None):
    a = jnp.asarray(arr)
    if like is not None:
        devs = like._st.value.devices() if hasattr(like._st.value, "devices") else None
        if devs and a.devices() != devs:
            a = jax.device_put(a, next(iter(devs)))
    return a


@op(tensors=("values", "a", "b"), promote=False, method=False, function=False, saves=(),
    grad=lambda key: key[0][0], name="_random_result")
def _random_result(values, a, b, node):
    """A sampled tensor that depends (with zero gradient) on a and b: torch's
    XxxBackward nodes for sampling ops."""
    return values


def _needs(*srcs):
    return STATE.enabled and any(isinstance(s, Tensor) and s._rg for s in srcs)


def _attach(t, node, *srcs):
    if t.dtype._cat >= 2 and _needs(*srcs):
        srcs = tuple(srcs) + (None,) * (2 - len(srcs))
        return call(OPS["_random_result"], (t, *srcs), (node,))
    return t


def _new(arr, device=None, requires_grad=False):
    from .._creation import _finish
    return _finish(_to_jax(arr), device, requires_grad)


def _inplace(self, draw, node, srcs=(), complex_view=False):
    """Tensor.<sampler>_: fill self in torch's element order, moving autograd history."""
    from ..autograd.graph import check_inplace, inplace_update
    check_inplace(self)
    shape, stride = tuple(self.shape), tuple(self.stride())
    _check_overlap(shape, stride)
    arr = _fill(shape, stride, self.dtype.np, draw, complex_view)
    r = _attach(wrap(_to_jax(arr, self)), node, self, *srcs)
    return inplace_update(self, r)


def _write_out(out, arr):
    """Write a fresh C-order result into ``out`` (resizing it when the shape differs)."""
    a = _to_jax(np.asarray(arr).astype(out.dtype.np), out)
    if tuple(out.shape) == tuple(a.shape):
        out._assign(a)
    else:
        out._st.value = a
        out._vm, out._vv = None, -1
        out._st.version += 1
    return out


def _resize_out(out, shape):
    if tuple(out.shape) != tuple(shape):
        _write_out(out, np.zeros(shape, out.dtype.np))


def _check_out_dtype(dtype, out):
    if dtype is not None and out is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {D.SCALAR_NAME[dtype]} does not match dtype of out "
                           f"parameter ({D.SCALAR_NAME[out.dtype]})")


def _out_fill(out, shape, draw, complex_view=False):
    """factory(out=...): resize out, then sample into it like the in-place kernel."""
    _resize_out(out, shape)
    arr = _fill(tuple(out.shape), tuple(out.stride()), out.dtype.np, draw, complex_view)
    out._assign(_to_jax(arr, out))
    return out


def _like_layout(input, memory_format):
    """(shape, stride) of empty_like(input, memory_format): preserve_format keeps the
    strides of a non-overlapping dense input, anything else is C-contiguous."""
    shape = tuple(input.shape)
    mf = str(memory_format) if memory_format is not None else "preserve_format"
    if "preserve" in mf or mf == "torch.memory_format":
        stride = tuple(input.stride())
        if _dense(shape, stride):
            return shape, stride
    return shape, _contig_strides(shape)


def _contig_strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def _np_dtype(t):
    return np.dtype(t.dtype.np)


def _host(t):
    return np.asarray(t.detach()._numpy())


def _scalar_name(dt):
    return R._scalar_name(dt)


def _not_impl(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_scalar_name(dt)}\'')


# ------------------------------------------------------------ draw functions ----

def _uniform(g, lo, hi):
    return lambda n, dt, contig, cplx=False: g.uniform((n,), dt, lo, hi)


def _normal(g, mean, std):
    def draw(n, dt, contig, cplx=False):
        s = std / np.sqrt(2.0) if cplx else std      # complex: normal_ on view_as_real
        return g.normal((n,), dt, mean, s, scalar_path=not contig)
    return draw


def _random_draw(g, args):
    """random_(), random_(to), random_(from, to) (to=None: up to the dtype's max)."""
    def draw(n, dt, contig):
        if not args:
            return g.random_default((n,), dt)
        if np.dtype(dt).kind == "c":
            raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                               "boolean types")
        if len(args) == 1:
            return g.random_int((n,), 0, args[0], dt)
        return g.random_int((n,), args[0], args[1], dt)
    return draw


# --------------------------------------------------------------- factories ----

@composite(method=False)
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         pin_memory=False, requires_grad=False, **kw):
    shape = _size_arg("rand", size, kw.pop("size", None))
    g = _gen(generator, "rand")
    if out is not None:
        _check_out_dtype(dtype, out)
        return _out_fill(out, shape, _uniform(g, 0.0, 1.0), True)
    dt = dtype or D._default[0]
    return _new(g.uniform(shape, dt.np), device, requires_grad)


@composite(method=False)
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          pin_memory=False, requires_grad=False, **kw):
    shape = _size_arg("randn", size, kw.pop("size", None))
    g = _gen(generator, "randn")
    if out is not None:
        _check_out_dtype(dtype, out)
        return _out_fill(out, shape, _normal(g, 0.0, 1.0), True)
    dt = dtype or D._default[0]
    return _new(g.normal(shape, dt.np), device, requires_grad)


def _bind(fname, args, kw, overloads):
    """Match positional + keyword args against torch overloads (lists of param names)."""
    for names in overloads:
        if len(args) > len(names):
            continue
        b = dict(zip(names, args))
        if any(k in b or k not in names for k in kw):
            continue
        b.update(kw)
        if all(n in b for n in names):
            return b
    got = ", ".join([type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kw.items()])
    raise TypeError(f"{fname}() received an invalid combination of arguments - got ({got}), "
                    "but expected one of:\n" +
                    "\n".join(f" * ({', '.join(n)}, ...)" for n in overloads))


def _randint_bounds(fname, args, kw, with_size=True):
    if with_size:
        ov = (("high", "size"), ("low", "high", "size"))
    else:
        ov = (("high",), ("low", "high"))
    names = [k for k in ("low", "high", "size") if k in kw]
    b = _bind(fname, args, {k: kw.pop(k) for k in names}, ov)
    three = "low" in b
    low = _int_arg(b["low"], fname, "low", 1) if three else 0
    high = _int_arg(b["high"], fname, "high", 2 if three else 1)
    shape = None
    if with_size:
        pos = 3 if three else 2
        s = b["size"]
        if not isinstance(s, (tuple, list)):
            raise TypeError(f"{fname}(): argument 'size' (position {pos}) must be tuple of "
                            f"ints, not {type(s).__name__}")
        shape = _size_arg(fname, (s,), pos=pos)
    return low, high, shape


@composite(method=False)
def randint(*args, generator=None, out=None, dtype=None, layout=None, device=None,
            pin_memory=False, requires_grad=False, **kw):
    low, high, shape = _randint_bounds("randint", args, kw)
    g = _gen(generator, "randint")
    if out is not None:
        _check_out_dtype(dtype, out)
        return _out_fill(out, shape, _random_draw(g, (low, high)))
    dt = dtype or D.int64
    if requires_grad and dt._cat < 2:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    if dt.is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    return _new(g.random_int(shape, low, high, dt.np), device, requires_grad)


_CHECKED_NAMES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
                  "int64": "int64_t", "float16": "at::Half", "bfloat16": "at::BFloat16",
                  "float32": "float", "float64": "double"}


def _randperm_checks(n, dt):
    npd = np.dtype(dt.np)
    v = n - 1 if n > 0 else n
    if dt._cat == 1:
        info = np.iinfo(npd)
        if not info.min <= v <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES[npd.name]} "
                               "without overflow")
    elif dt._cat == 2 and npd.name in ("float16", "bfloat16"):
        if abs(v) > float(R._finfo(npd).max):
            raise RuntimeError(f"value cannot be converted to type {_CHECKED_NAMES[npd.name]} "
                               "without overflow")
    lim = {"float16": ((1 << 11) + 1, "2049 for Half"),
           "float32": ((1 << 24) + 1, "2^24+1 for Float"),
           "float64": ((1 << 53) + 1, "2^53+1 for Double")}.get(npd.name)
    if lim and n > lim[0]:
        raise RuntimeError(f"n cannot be greater than {lim[1]} type.")
    if dt is D.bool or dt._cat == 3 or npd.name in ("uint16", "uint32", "uint64"):
        raise _not_impl("randperm", npd)


@composite(method=False)
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             pin_memory=False, requires_grad=False):
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    g = _gen(generator, "randperm")
    if out is not None:
        _check_out_dtype(dtype, out)
    dt = out.dtype if out is not None else (dtype or D.int64)
    _randperm_checks(n, dt)
    if requires_grad and dt._cat < 2:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    arr = g.randperm(n, dt.np)
    if out is not None:
        return _write_out(out, arr)
    return _new(arr, device, requires_grad)


# ------------------------------------------------------------------ normal ----

def _check_std_tensor(std):
    if std.dtype.is_complex:
        raise RuntimeError("normal expects standard deviation to be non-complex")
    s = _host(std)
    if s.size and not bool(np.all(s.astype(np.float64) >= 0)):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    return s


def _float_arg(v, fname, name, pos):
    if isinstance(v, Tensor):
        return float(v.item())
    if isinstance(v, numbers.Real):
        return float(v)
    raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be float, not "
                    f"{type(v).__name__}")


@composite(method=False)
def normal(*args, generator=None, out=None, **kw):
    names = [k for k in ("mean", "std", "size") if k in kw]
    b = dict(zip(("mean", "std", "size"), args))
    for k in names:
        if k in b:
            raise TypeError(f"normal() got multiple values for argument '{k}'")
        b[k] = kw.pop(k)
    mean, std, size = b.get("mean", _MISSING), b.get("std", _MISSING), b.get("size")
    g = _gen(generator, "normal")
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    factory_kw = {k: kw.pop(k) for k in ("dtype", "layout", "device", "pin_memory",
                                          "requires_grad") if k in kw}
    if kw or mean is _MISSING or (not (mt or st) and (std is _MISSING or size is None)) or \
            ((mt or st) and (size is not None or factory_kw)):
        got = ", ".join([type(a).__name__ for a in args] +
                        [f"{k}={type(v).__name__}" for k, v in {**kw, **factory_kw}.items()])
        raise TypeError(
            f"normal() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n * (Tensor mean, Tensor std, *, torch.Generator generator = "
            "None, Tensor out = None)\n * (Tensor mean, float std = 1, *, torch.Generator "
            "generator = None, Tensor out = None)\n * (float mean, Tensor std, *, "
            "torch.Generator generator = None, Tensor out = None)\n * (float mean, float std, "
            "tuple of ints size, *, torch.Generator generator = None, Tensor out = None, "
            "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
            "bool pin_memory = False, bool requires_grad = False)")
    if not (mt or st):
        mean, std = _float_arg(mean, "normal", "mean", 1), _float_arg(std, "normal", "std", 2)
        shape = _size_arg("normal", (size,), pos=3)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {R._g(std)}")
        if out is not None:
            _check_out_dtype(factory_kw.get("dtype"), out)
            return _out_fill(out, shape, _normal(g, mean, std), True)
        dt = factory_kw.get("dtype") or D._default[0]
        return _new(g.normal(shape, dt.np, mean, std), factory_kw.get("device"),
                    factory_kw.get("requires_grad", False))
    if mt and st:
        s = _check_std_tensor(std)
        shape = broadcast_shapes(tuple(mean.shape), tuple(std.shape))
        m, node, srcs = _host(mean), "NormalBackward3", (mean, std)
        dt = out.dtype if out is not None else mean.dtype
    elif mt:
        s = 1.0 if std is _MISSING else _float_arg(std, "normal", "std", 2)
        if s < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {R._g(s)}")
        m, node, srcs, shape = _host(mean), "NormalBackward1", (mean,), tuple(mean.shape)
        dt = out.dtype if out is not None else mean.dtype
    else:
        s = _check_std_tensor(std)
        m, node, srcs, shape = _float_arg(mean, "normal", "mean", 1), "NormalBackward2", \
            (std,), tuple(std.shape)
        dt = out.dtype if out is not None else std.dtype
    arr = g.normal_tensor(m, s, dt.np)
    if out is not None:
        if _needs(*srcs):
            raise RuntimeError("normal(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        return _write_out(out, arr)
    dev = (mean if mt else std).device
    return _attach(_new(arr, dev), node, *srcs)


# ---------------------------------------------------------------- bernoulli ----

def _bernoulli_p_draw(g, p_flat, self_dt):
    """bernoulli_(Tensor p): p already in iteration order; torch checks each p before its
    draw, so the draws for earlier elements are spent when a bad p raises."""
    pdt = np.dtype(p_flat.dtype)
    if np.dtype(self_dt).kind == "c":
        raise _not_impl("bernoulli_tensor_cpu_self_", self_dt)
    if not (pdt.kind == "f" or R._is_reduced(pdt)):
        raise _not_impl("bernoulli_tensor_cpu_p_", pdt)
    pc = p_flat.astype(np.float64 if pdt == np.float64 else np.float32)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~((pc >= 0) & (pc <= 1)))
    if bad.size:
        k = int(bad[0])
        if pdt == np.float64:
            g._uniform53(k)
        else:
            g._uniform24(k)
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    return g.bernoulli_tensor(p_flat, self_dt, (p_flat.size,))


def _bernoulli_scalar_draw(g, p):
    def draw(n, dt, contig):
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={R._g(p)}")
        if np.dtype(dt).kind == "c":
            raise _not_impl("bernoulli_scalar_cpu_", dt)
        return g.bernoulli((n,), p, dt)
    return draw


@composite()
def bernoulli(input, p=None, *, generator=None, out=None):
    g = _gen(generator, "bernoulli")
    if isinstance(p, Tensor):
        raise TypeError("bernoulli() received an invalid combination of arguments - got "
                        "(Tensor, p=Tensor), but expected one of:\n * (Tensor input, *, "
                        "torch.Generator generator = None, Tensor out = None)\n * (Tensor "
                        "input, float p, *, torch.Generator generator = None)")
    shape = tuple(input.shape)
    if p is None:
        dt = out.dtype if out is not None else input.dtype
        arr = _bernoulli_p_draw(g, _host(input).reshape(-1), dt.np).reshape(shape)
        node = "BernoulliBackward0"
    else:
        p = _float_arg(p, "bernoulli", "p", 2)
        arr = _bernoulli_scalar_draw(g, p)(_numel(shape), input.dtype.np, True).reshape(shape)
        node = "NotImplemented"
    if out is not None:
        return _write_out(out, arr)
    return _attach(_new(arr, input.device), node, input)


# ------------------------------------------------------ multinomial/poisson ----

class _OrderedExp:
    """A generator proxy whose exponential() fills in a given memory order: multinomial's
    q = empty_like(input).exponential_() keeps a dense input's layout."""

    def __init__(self, g, order):
        self._g, self._order = g, order

    def exponential(self, shape, dtype, lambd):
        return _place(self._g.exponential((_numel(shape),), dtype, lambd), shape, self._order)

    def __getattr__(self, name):
        return getattr(self._g, name)


@composite()
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    g = _gen(generator, "multinomial")
    num_samples = _int_arg(num_samples, "multinomial", "num_samples", 2)
    probs = _host(input)
    shape, stride = tuple(input.shape), tuple(input.stride())
    order = _order(shape, stride) if _dense(shape, stride) else None
    if order is not None and (not replacement or num_samples == 1):
        arr = R.CPUGenerator.multinomial(_OrderedExp(g, order), probs, num_samples, replacement)
    else:
        arr = g.multinomial(probs, num_samples, bool(replacement))
    if out is not None:
        return _write_out(out, arr)
    return _new(arr, input.device)


@composite(method=False)
def poisson(input, generator=None):
    g = _gen(generator, "poisson")
    dt = _np_dtype(input)
    if not (dt.kind == "f" or R._is_reduced(dt)):
        raise _not_impl("poisson_cpu", dt)
    arr = g.poisson(_host(input), dt)
    return _attach(_new(arr, input.device), "PoissonBackward0", input)


# ------------------------------------------------------------------ *_like ----

def _like(input, fname, draw_of, dtype, device, requires_grad, memory_format, generator,
          complex_view):
    g = _gen(generator, fname)
    dt = dtype or input.dtype
    shape, stride = _like_layout(input, memory_format)
    arr = _fill(shape, stride, dt.np, draw_of(g), complex_view)
    if requires_grad and dt._cat < 2:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    return _new(arr, device or input.device, requires_grad)


@composite(method=False)
def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    return _like(input, "rand_like", lambda g: _uniform(g, 0.0, 1.0), dtype, device,
                 requires_grad, memory_format, generator, True)


@composite(method=False)
def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    return _like(input, "randn_like", lambda g: _normal(g, 0.0, 1.0), dtype, device,
                 requires_grad, memory_format, generator, True)


@composite(method=False)
def randint_like(input, *args, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, **kw):
    low, high, _ = _randint_bounds("randint_like", args, kw, with_size=False)
    if (dtype or input.dtype).is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    return _like(input, "randint_like", lambda g: _random_draw(g, (low, high)), dtype, device,
                 requires_grad, memory_format, generator, False)


# ---------------------------------------------------------- in-place methods ----

def _from_kw(fname, a, kw, default):
    if "from" in kw:
        if a is not _MISSING:
            raise TypeError(f"{fname}() got multiple values for argument 'from'")
        a = kw.pop("from")
    if kw:
        raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(kw))}'")
    return default if a is _MISSING else a


@composite(function=False)
def uniform_(self, from_=_MISSING, to=1, *, generator=None, **kw):
    lo = _float_arg(_from_kw("uniform_", from_, kw, 0.0), "uniform_", "from", 1)
    hi = _float_arg(to, "uniform_", "to", 2)
    g = _gen(generator, "uniform_")
    return _inplace(self, _uniform(g, lo, hi), "UniformBackward0", complex_view=True)


@composite(function=False)
def normal_(self, mean=0, std=1, *, generator=None):
    mean, std = _float_arg(mean, "normal_", "mean", 1), _float_arg(std, "normal_", "std", 2)
    g = _gen(generator, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {R._g(std)}")
    return _inplace(self, _normal(g, mean, std), "NormalBackward0", complex_view=True)


@composite(function=False)
def random_(self, *args, generator=None, **kw):
    b = dict(zip(("from", "to"), args)) if len(args) == 2 else \
        ({"to": args[0]} if len(args) == 1 else {})
    for k in ("from", "to"):
        if k in kw:
            if k in b:
                raise TypeError(f"random_() got multiple values for argument '{k}'")
            b[k] = kw.pop(k)
    ok = not kw and len(args) <= 2 and (set(b) in ({"from", "to"}, {"to"}, set()))
    ok = ok and all(isinstance(v, numbers.Integral) or (v is None and k == "to" and "from" in b)
                    or (isinstance(v, Tensor) and v.numel() == 1 and v.dtype._cat == 1)
                    for k, v in b.items())
    if not ok:
        got = ", ".join([type(a).__name__ for a in args] +
                        [f"{k}={type(v).__name__}" for k, v in kw.items()])
        raise TypeError(f"random_() received an invalid combination of arguments - got "
                        f"({got}), but expected one of:\n * (*, torch.Generator generator = "
                        "None)\n * (int from, int to, *, torch.Generator generator = None)\n"
                        " * (int to, *, torch.Generator generator = None)")
    g = _gen(generator, "random_")
    conv = {k: (None if v is None else int(v)) for k, v in b.items()}
    if "from" in conv:
        return _inplace(self, _random_draw(g, (conv["from"], conv["to"])), "RandomBackward0")
    if "to" in conv:
        return _inplace(self, _random_draw(g, (conv["to"],)), "RandomBackward1")
    return _inplace(self, _random_draw(g, ()), "RandomBackward2")


def _float_dtype_check(dt, kernel):
    dt = np.dtype(dt)
    if not (dt.kind == "f" or R._is_reduced(dt)):
        raise _not_impl(kernel, dt)


@composite(function=False)
def exponential_(self, lambd=1, *, generator=None):
    lambd = _float_arg(lambd, "exponential_", "lambd", 1)
    g = _gen(generator, "exponential_")
    return _inplace(self, lambda n, dt, c: g.exponential((n,), dt, lambd),
                    "ExponentialBackward0")


@composite(function=False)
def geometric_(self, p, *, generator=None):
    p = _float_arg(p, "geometric_", "p", 1)
    g = _gen(generator, "geometric_")

    def draw(n, dt, contig):
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={R._g(p)}")
        dt = np.dtype(dt)
        if dt.kind in "bc":
            raise _not_impl("geometric_cpu", dt)
        return g.geometric((n,), dt, p)
    return _inplace(self, draw, "GeometricBackward0")


@composite(function=False)
def log_normal_(self, mean=1, std=2, *, generator=None):
    mean = _float_arg(mean, "log_normal_", "mean", 1)
    std = _float_arg(std, "log_normal_", "std", 2)
    g = _gen(generator, "log_normal_")

    def draw(n, dt, contig):
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={R._g(std)}")
        _float_dtype_check(dt, "log_normal_cpu")
        return g.log_normal((n,), dt, mean, std)
    return _inplace(self, draw, "LogNormalBackward0")


_COMPLEX_CPP = {"complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


@composite(function=False)
def cauchy_(self, median=0, sigma=1, *, generator=None):
    median = _float_arg(median, "cauchy_", "median", 1)
    sigma = _float_arg(sigma, "cauchy_", "sigma", 2)
    g = _gen(generator, "cauchy_")

    def draw(n, dt, contig):
        dt = np.dtype(dt)
        if dt.kind == "c" and sigma > 0:
            raise RuntimeError("Cauchy distribution is a continuous probability distribution. "
                               "dtype must be a floating point but you specified "
                               f"{_COMPLEX_CPP[dt.name]}")
        return g.cauchy((n,), dt, median, sigma)
    return _inplace(self, draw, "CauchyBackward0")


@composite(function=False)
def bernoulli_(self, p=0.5, *, generator=None):
    g = _gen(generator, "bernoulli_")
    if isinstance(p, Tensor):
        from ..autograd.graph import check_inplace, inplace_update
        check_inplace(self)
        shape, stride = tuple(self.shape), tuple(self.stride())
        _check_overlap(shape, stride)
        pe = _host(p.expand(*shape)) if tuple(p.shape) != shape else _host(p)
        order = _order(shape, stride)
        pflat = pe.reshape(-1) if order is None else pe.reshape(-1)[order]
        arr = _place(_bernoulli_p_draw(g, pflat, self.dtype.np), shape, order)
        r = _attach(wrap(_to_jax(arr, self)), "BernoulliBackward1", self, p)
        return inplace_update(self, r)
    p = _float_arg(p, "bernoulli_", "p", 1)
    return _inplace(self, _bernoulli_scalar_draw(g, p), "BernoulliBackward2")
