"""Statistics ops: quantile/nanquantile, cov/corrcoef, histogram/histogramdd, isin, frexp,
renorm and gradient, each one jitted op following torch's CPU algorithm.

quantile sorts along the reduced dim and interpolates between neighbouring order statistics with
torch's lerp formula, so its gradient flows to the sorted positions as torch's sort/gather/lerp
graph does (grad_fn SqueezeBackward4). histogram bins with a binary search on the bin edges (the
result torch's linear-interpolation-with-local-search kernel gives); its edges for an int ``bins``
are torch's linspace, computed in the graph from the data's min/max when no range is given.
Checks that torch makes on values (q in [0, 1], non-negative weights, a finite data range) read
the concrete values eagerly, as torch's CPU kernels do."""
import builtins
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .. import return_types as RT
from .._tensor import Tensor
from ._util import wrap_dim, wrap_dims, no_derivative
from .linalg import _vnorm
from .pointwise import _tname
from .registry import op, composite, call, OPS, METHODS, _inplace


def _g(v):
    """A double as C++ streams print it (%g)."""
    return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf
                                        else f"{v:g}")


def _host(t):
    return np.asarray(t._value)


# ---------------------------------------------------------------- quantile / nanquantile

_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _lerp(a, b, w):
    """torch's lerp: a + w (b - a) below w = 0.5, b - (b - a)(1 - w) from there."""
    return jnp.where(w < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


@op(tensors=("input", "q"), data=("q",), promote=False, function=False, method=False,
    name="_quantile", grad="SqueezeBackward4", saves=("input",))
def _quantile_k(input, q, dim, keepdim, interpolation, ignore_nan):
    dt = input.dtype
    x = input.reshape(-1) if dim is None or input.ndim == 0 else jnp.moveaxis(input, dim, -1)
    s = jnp.sort(x, axis=-1)
    n = s.shape[-1]
    qv = q.astype(dt).reshape(-1)
    if ignore_nan:
        cnt = jnp.sum(~jnp.isnan(s), axis=-1, keepdims=True) - 1
        ranks = qv * cnt.astype(dt)
        ranks = jnp.where(ranks < 0, jnp.zeros((), dt), ranks)
    else:
        ranks = jnp.broadcast_to(qv * jnp.asarray(n - 1, dt), s.shape[:-1] + qv.shape)
        ranks = jnp.where(jnp.isnan(s).any(-1, keepdims=True), jnp.asarray(n - 1, dt), ranks)
    ranks = {"lower": jnp.floor, "higher": jnp.ceil, "nearest": jnp.round}.get(
        interpolation, lambda r: r)(ranks)
    below = ranks.astype(jnp.int32)
    res = jnp.take_along_axis(s, below, axis=-1)
    if interpolation in ("linear", "midpoint"):
        w = jnp.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below.astype(dt)
        above = jnp.take_along_axis(s, jnp.ceil(ranks).astype(jnp.int32), axis=-1)
        res = _lerp(res, above, w)
    res = jnp.moveaxis(res, -1, 0)
    if dim is not None and input.ndim:
        tail = list(input.shape)
        if keepdim:
            tail[dim] = 1
        else:
            del tail[dim]
    else:
        tail = [1] * input.ndim if keepdim else []
    return res.reshape(tuple(tail) if q.ndim == 0 else (qv.shape[0], *tail))


def _quantile(input, q, dim, keepdim, interpolation, out, ignore_nan):
    if interpolation not in _INTERP:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if not isinstance(q, Tensor):
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {_g(q)}")
        q = float(q)
    if dim is not None:
        dim = wrap_dim(dim, input.dim())
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q.dim() > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.dtype != input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if out is not None and out.dtype != input.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    if isinstance(q, Tensor) and not bool(jnp.all((q._value >= 0) & (q._value <= 1))):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if isinstance(q, Tensor) and interpolation != "linear":
        q = q.detach()  # only linear interpolation weights depend on q (torch's graph)
    return call(OPS["_quantile"], (input, q), (dim, keepdim, interpolation, ignore_nan), out)


@composite()
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, out, False)


@composite()
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, out, True)


# ---------------------------------------------------------------- cov / corrcoef

def _cov_value(x, correction, fw, aw):
    x = x.reshape(1, -1) if x.ndim < 2 else x
    n = x.shape[1]
    w = fw.reshape(-1) if fw is not None else None
    if aw is not None:
        w = aw.reshape(-1) if w is None else w * aw.reshape(-1)
    if w is None:
        wsum = jnp.asarray(n, x.dtype)
        avg = x.sum(1) / wsum
    else:
        wsum = w.sum()
        avg = (x * w).sum(1) / wsum
    if w is not None and correction != 0 and aw is not None:
        nf = wsum - correction * (w * aw.reshape(-1)).sum() / wsum
    else:
        nf = wsum - correction
    nf = jnp.where(nf <= 0, jnp.zeros((), nf.dtype), nf)
    xc = x - avg[:, None]
    c = xc @ (xc if w is None else xc * w).T.conj()
    return c / nf


@op(tensors=("input", "fweights", "aweights"), to_float=True, function=False, method=False,
    name="_cov", grad="SqueezeBackward0")
def _cov_k(input, correction, fweights, aweights):
    return jnp.squeeze(_cov_value(input, correction, fweights, aweights))


def _cov_checks(input, correction, fweights, aweights):
    if input.dim() > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    if input.dtype == D.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    n = input.shape[1] if input.dim() == 2 else input.numel()
    for name, w, kind in (("fweights", fweights, "integral"), ("aweights", aweights,
                                                                "floating point")):
        if w is None:
            continue
        if w.dim() > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                               f"{name} with {w.dim()} dimensions")
        ok = w.dtype._cat == 1 if name == "fweights" else w.dtype.is_floating_point
        if not ok:
            raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} "
                               f"with {D.SCALAR_NAME[w.dtype]} dtype")
        if w.numel() != n:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {w.numel()} != {n}")
        if n and float(_host(w).min()) < 0:
            raise RuntimeError(f"cov(): {name} cannot be negative")
    if fweights is not None or aweights is not None:
        ws = np.ones(n)
        for w in (fweights, aweights):
            if w is not None:
                ws = ws * _host(w).reshape(-1)
        if ws.sum() == 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    elif n - correction <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", stacklevel=3)


@composite()
def cov(input, *, correction=1, fweights=None, aweights=None):
    _cov_checks(input, correction, fweights, aweights)
    return call(OPS["_cov"], (input, fweights, aweights), (correction,))


def _clip_unit(c):
    """clamp(-1, 1) with torch's gradient (passes at the bounds)."""
    ok = (c >= -1) & (c <= 1)
    return jnp.where(ok, c, lax.stop_gradient(jnp.clip(c, -1, 1)))


def _corr_grad(key):
    if key[0][0]:
        return "DivBackward0"
    return "ComplexBackward0" if key[1] is not None and key[1].is_complex else "ClampBackward1"


@op(to_float=True, function=False, method=False, name="_corrcoef", grad=_corr_grad)
def _corrcoef_k(input, scalar):
    c = _cov_value(input, 1, None, None)
    if scalar:
        c = c.reshape(())
        return c / c
    d = jnp.diagonal(c)
    sd = jnp.sqrt(d.real if jnp.iscomplexobj(d) else d)
    c = c / sd[:, None]
    c = c / sd[None, :]
    if jnp.iscomplexobj(c):
        return lax.complex(_clip_unit(c.real), _clip_unit(c.imag))
    return _clip_unit(c)


@composite()
def corrcoef(input):
    if input.dim() > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.dim()} dimensions")
    _cov_checks(input, 1, None, None)
    return call(OPS["_corrcoef"], (input,), (input.dim() < 2 or input.shape[0] == 1,))


# ---------------------------------------------------------------- isin

def _isin_value(e, t, invert):
    if not t.size:
        found = jnp.zeros(e.shape, bool)
    elif e.size * t.size <= (1 << 22):
        found = (e.reshape(-1, 1) == t.reshape(1, -1)).any(-1).reshape(e.shape)
    else:  # sort-based for large inputs (+0.0 folds -0.0 into 0.0; NaN never matches)
        st = jnp.sort(t.reshape(-1) + jnp.zeros((), t.dtype))
        i = jnp.clip(jnp.searchsorted(st, e + jnp.zeros((), e.dtype)), 0, st.size - 1)
        found = st[i] == e
    return found != invert


@op(tensors=("elements", "test_elements"), method=False, out=True, differentiable=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    if jnp.issubdtype(elements.dtype, jnp.complexfloating) or elements.dtype == jnp.bool_:
        raise RuntimeError(f"Unsupported input type encountered for isin(): {_tname(elements)}")
    return _isin_value(elements, test_elements, invert)


OPS["isin"].tensor_only = "any"


# ---------------------------------------------------------------- frexp

_BITS = {np.dtype(np.float32): (jnp.int32, 23, 0xFF), np.dtype(np.float64): (jnp.int64, 52, 0x7FF)}


def _frexp_bits(x):
    """frexp by bit manipulation: exact for subnormals, which XLA's CPU arithmetic flushes."""
    if np.dtype(x.dtype) not in _BITS:
        m, e = _frexp_bits(x.astype(jnp.float32))
        return m.astype(x.dtype), e
    it, mb, emax = _BITS[np.dtype(x.dtype)]
    bias = emax // 2 - 1  # the exponent field of a mantissa in [0.5, 1)
    b = lax.bitcast_convert_type(x, it)
    ef = (b >> mb) & emax
    frac = b & ((1 << mb) - 1)
    top = (it(8 * np.dtype(it).itemsize - 1) - lax.clz(frac)).astype(it)  # subnormal lead bit
    sub = ef == 0
    e = jnp.where(sub, top + 1 - (bias + mb), ef - bias)
    frac = jnp.where(sub, (frac << (mb - top)) & ((1 << mb) - 1), frac)
    sign = b & (it(1) << (8 * np.dtype(it).itemsize - 1))
    m = lax.bitcast_convert_type(sign | (it(bias) << mb) | frac, x.dtype)
    special = (x == 0) | ~jnp.isfinite(x)
    return jnp.where(special, x, m), jnp.where(special, 0, e).astype(jnp.int32)


@jax.custom_jvp
def _frexp_value(x):
    return _frexp_bits(x)


@_frexp_value.defjvp
def _frexp_jvp(primals, tangents):
    (x,), (tx,) = primals, tangents
    m, e = _frexp_value(x)
    # torch: grad / exponent.exp2()
    return (m, e), (tx / jnp.exp2(e.astype(x.dtype)), np.zeros(e.shape, jax.dtypes.float0))


@op(promote=False, function=False, returns=RT.returns(RT.frexp), saves=("result1",))
def frexp(input):
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return _frexp_value(input)


@composite(method=False, name="frexp")
def _frexp_fn(input, *, out=None):
    r = call(OPS["frexp"], (input,), (), out)
    return RT.frexp_out(r) if out is not None else r


# ---------------------------------------------------------------- renorm

def _renorm(input, p, dim, maxnorm):
    if isinstance(p, complex):
        raise RuntimeError("renorm: p must be real-valued")
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if isinstance(maxnorm, complex):
        raise RuntimeError("renorm: maxnorm must be real-valued")
    if not maxnorm >= 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {_g(float(maxnorm))}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_tname(input)}")
    d = wrap_dim(dim, input.ndim)
    norm = _vnorm(input, p, tuple(i for i in range(input.ndim) if i != d), True)
    rdt = norm.dtype
    mx = jnp.asarray(maxnorm, rdt)
    factor = jnp.where(norm > mx, mx / (norm + jnp.asarray(1e-7, rdt)), jnp.ones((), rdt))
    return input * factor.astype(input.dtype)


op(name="renorm", promote=False, out=True, saves=("input",))(_renorm)
# the in-place form: torch keeps the original input for the backward, so no version check
op(name="renorm_", promote=False, function=False, method=False, saves=(),
   grad="RenormBackward0")(_renorm)
METHODS["renorm_"] = lambda self, p, dim, maxnorm: _inplace(OPS["renorm_"], (self,),
                                                             (p, dim, maxnorm))


# ---------------------------------------------------------------- gradient

@op(tensors=("input", "coord", "h"), data=("h",), promote=False, function=False, method=False,
    name="_gradient", grad="CatBackward0", saves=())
def _gradient_k(input, coord, h, dim, edge_order):
    if coord is None:
        dt = input.dtype if jnp.issubdtype(input.dtype, jnp.inexact) else D._default[0].np
        if jnp.issubdtype(h.dtype, jnp.complexfloating):
            dt = jnp.result_type(dt, jnp.complex64)
    else:
        cdt = coord.dtype if jnp.issubdtype(coord.dtype, jnp.inexact) else D._default[0].np
        dt = jnp.result_type(input.dtype, cdt) if jnp.issubdtype(input.dtype, jnp.inexact) \
            else cdt
    x = input.astype(dt)
    n = x.shape[dim]

    def sl(a, b=None, v=x):
        a, b = a % n if a < 0 else a, n if b is None else (b % n if b < 0 else b)
        return lax.slice_in_dim(v, a, b, axis=dim)

    if coord is None:
        h = h.astype(dt)
        center = (sl(2) - sl(0, -2)) / h / 2
        if edge_order == 1:
            pre, app = (sl(1, 2) - sl(0, 1)) / h, (sl(-1) - sl(-2, -1)) / h
        else:
            pre = (sl(0, 1) * -1.5 + sl(1, 2) * 2 - sl(2, 3) * 0.5) / h
            app = (sl(-3, -2) * 0.5 + sl(-2, -1) * -2 + sl(-1) * 1.5) / h
    else:
        shape = [1] * x.ndim
        shape[dim] = -1
        dx = jnp.diff(coord.astype(dt))
        d1, d2 = dx[:-1], dx[1:]
        a = (-d2 / (d1 * (d1 + d2))).reshape(shape)
        b = ((d2 - d1) / (d1 * d2)).reshape(shape)
        c = (d1 / (d2 * (d1 + d2))).reshape(shape)
        center = a * sl(0, -2) + b * sl(1, -1) + c * sl(2)
        # the edges multiply by 0-d coefficients: computed in the input's dtype, as torch's
        # promotion of a 0-d tensor with a dimensioned one of the same category gives
        edt = input.dtype if jnp.issubdtype(input.dtype, jnp.inexact) else cdt
        xe = input.astype(edt)
        dx = jnp.diff(coord.astype(cdt))

        def k(v):
            return v.astype(edt)

        def se(a, b=None):
            return sl(a, b, xe)

        if edge_order == 1:
            pre, app = (se(1, 2) - se(0, 1)) / k(dx[0]), (se(-1) - se(-2, -1)) / k(dx[-1])
        else:
            p0, p1, q0, q1 = dx[0], dx[1], dx[-1], dx[-2]
            pre = (k(-(2.0 * p0 + p1) / (p0 * (p0 + p1))) * se(0, 1) +
                   k((p0 + p1) / (p0 * p1)) * se(1, 2) + k(-p0 / (p1 * (p0 + p1))) * se(2, 3))
            app = (k(q0 / (q1 * (q0 + q1))) * se(-3, -2) - k((q0 + q1) / (q0 * q1)) *
                   se(-2, -1) + k((2 * q0 + q1) / (q0 * (q0 + q1))) * se(-1))
        pre, app = pre.astype(dt), app.astype(dt)
    return jnp.concatenate([pre, center, app], axis=dim)


@composite(method=False)
def gradient(input, *, spacing=None, dim=None, edge_order=1):
    if input.dtype == D.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    given = dim is not None
    dims = list(range(input.dim())) if dim is None else ([dim] if isinstance(dim, int)
                                                          else list(dim))
    if spacing is None:
        spacing = 1.0
    if isinstance(spacing, (list, tuple)):
        if not given and len(spacing) != input.dim():
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or "
                               f"a list of length equal to 'self.dim() = {input.dim()}', since "
                               f"dim argument was not given, but got a list of length "
                               f"{len(spacing)}")
        if given and len(spacing) != len(dims):
            raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or "
                               "it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {len(spacing)} and a dim argument "
                               f"of length {len(dims)}.")
        spacing = list(spacing)
    else:
        spacing = [spacing] * len(dims)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = wrap_dims(dims, input.dim()) if given else dims
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    out = []
    for d, s in zip(dims, spacing):
        if isinstance(s, Tensor):
            if s.dim() != 1:
                raise RuntimeError("torch.gradient expected each element of spacing to have one "
                                   f"dimension, but got an element with {s.dim()} dimensions!")
            out.append(call(OPS["_gradient"], (input, s, None), (d, edge_order)))
        else:
            out.append(call(OPS["_gradient"], (input, None, s), (d, edge_order)))
    return tuple(out)


# ---------------------------------------------------------------- histogram / histogramdd

def _linspace(lo, hi, steps, dt):
    """torch's CPU linspace from (possibly traced) endpoints, in dtype dt."""
    lo, hi = lo.astype(dt), hi.astype(dt)
    if steps == 1:
        return lo.reshape(1)
    step = (hi - lo) / jnp.asarray(steps - 1, dt)
    i = jnp.arange(steps)
    return jnp.where(i < steps // 2, lo + step * i.astype(dt),
                     hi - step * (steps - i - 1).astype(dt))


@op(tensors=("input", "weight"), lists="bins", promote=False, function=False, method=False,
    name="_histogramdd", grad="NotImplemented", saves=())
def _histdd_k(input, weight, bins, counts, range, density, aten):
    dt = input.dtype
    m, nd = input.shape
    edges = []
    for j in builtins.range(nd):
        if bins:
            edges.append(bins[j])
            continue
        if range is not None:
            lo, hi = jnp.asarray(range[2 * j], jnp.float64), jnp.asarray(range[2 * j + 1],
                                                                            jnp.float64)
        elif m:
            lo, hi = jnp.min(input[:, j]), jnp.max(input[:, j])
        else:
            lo, hi = jnp.zeros(()), jnp.ones(())
        same = lo == hi
        lo, hi = jnp.where(same, lo - 0.5, lo), jnp.where(same, hi + 0.5, hi)
        edges.append(_linspace(lo, hi, counts[j] + 1, dt))
    shape = tuple(e.shape[0] - 1 for e in edges)
    flat = jnp.zeros((m,), jnp.int32)
    ok = jnp.ones((m,), bool)
    for j, e in enumerate(edges):
        x = input[:, j]
        pos = jnp.searchsorted(e, x, side="right").astype(jnp.int32) - 1
        pos = jnp.where(pos == e.shape[0] - 1, pos - 1, pos)
        ok = ok & (x >= e[0]) & (x <= e[-1])
        flat = flat * shape[j] + pos
    total = int(np.prod(shape))
    flat = jnp.where(ok, flat, total)
    w = jnp.ones((), dt) if weight is None else weight
    hist = jnp.zeros(total + 1, dt).at[flat].add(w)[:total].reshape(shape)
    if density:
        hist = hist / hist.sum()
        for j, e in enumerate(edges):
            s = [1] * nd
            s[j] = -1
            hist = hist / jnp.diff(e).reshape(s)
    return tuple(no_derivative(r, aten) for r in (hist, *edges))



def _hist_prepare(name, input, bins, range, weight, nd):
    """torch's histogramdd argument checks; returns (bins tensors, bin counts, range)."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogramdd\" not implemented for "
                                  f"'{D.SCALAR_NAME[input.dtype]}'")
    tensors = isinstance(bins, (list, tuple)) and bins and isinstance(bins[0], Tensor)
    if tensors:
        if len(bins) != nd:
            raise RuntimeError(f"torch.histogramdd: expected {nd} sequences of bin edges for a "
                               f"{nd}-dimensional histogram but got {len(bins)}")
        for j, b in enumerate(bins):
            if b.dtype != input.dtype:
                raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have "
                                   f"the same dtype, but got input with dtype "
                                   f"{_dn(input.dtype)} and bins for dimension {j} with dtype "
                                   f"{_dn(b.dtype)}")
            if b.dim() != 1:
                raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, "
                                   f"but got {b.dim()} dimensions in the bins tensor for "
                                   f"dimension {j}")
            if b.numel() == 0:
                raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 "
                                   "element, but got 0 elements in the bins tensor for "
                                   f"dimension {j}")
        counts = tuple(b.numel() - 1 for b in bins)
    else:
        counts = tuple(bins) if isinstance(bins, (list, tuple)) else (bins,) * nd
        if len(counts) != nd:
            raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                               "dimension of the input.")
        for j, c in enumerate(counts):
            if c <= 0:
                raise RuntimeError(f"torch.{'histogram' if name == 'histogram' else 'histogramdd'}"
                                   f"(): bins must be > 0, but got {c} for dimension {j}")
        if range is not None:
            range = tuple(float(r) for r in range)
            if len(range) != 2 * nd:
                raise RuntimeError(f"torch.histogramdd: for a {nd}-dimensional histogram range "
                                   f"should have {2 * nd} elements, but got {len(range)}")
            lo_hi = [(range[2 * j], range[2 * j + 1]) for j in builtins.range(nd)]
        elif input.numel():
            v = _host(input).reshape(-1, nd)
            lo_hi = list(zip(v.min(0).tolist(), v.max(0).tolist()))
        else:
            lo_hi = [(0.0, 1.0)] * nd
        for j, (lo, hi) in enumerate(lo_hi):
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise RuntimeError(f"torch.histogramdd: dimension {j}'s range [{_g(lo)}, "
                                   f"{_g(hi)}] is not finite")
            if lo > hi:
                raise RuntimeError("torch.histogramdd: min should not exceed max, but got min "
                                   f"{_g(lo)} max {_g(hi)} for dimension {j}")
    if weight is not None:
        if weight.dtype != input.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor "
                               "and weight tensor should have the same dtype, but got "
                               f"input({_dn(input.dtype)}), and weight({_dn(weight.dtype)})")
    return (tuple(bins) if tensors else ()), counts, range


def _dn(dt):
    """The C++ type name torch prints for a dtype (float, double, c10::Half, ...)."""
    from .spectral import _cpp_type
    return _cpp_type(dt)


def _hist_weight(weight, shape2d, wshape):
    if weight is None:
        return None
    if tuple(weight.shape) != tuple(wshape):
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, "
                           f"but got input with shape {list(shape2d)} and weight with shape "
                           f"{list(weight.shape)}")
    return weight.reshape(-1)


@composite()
def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    bt, counts, range = _hist_prepare("histogram", input, [bins] if isinstance(bins, Tensor)
                                      else bins, range, weight, 1)
    shape2d = (input.numel(), 1)
    if weight is not None:
        weight = weight.reshape(-1)
    w = _hist_weight(weight, shape2d, (input.numel(),))
    res = call(OPS["_histogramdd"], (input.reshape(shape2d), w, bt),
               (counts, range, bool(density), "histogram"), out)
    return (RT.histogram_out if out is not None else RT.histogram)(res)


@composite(method=False)
def histogramdd(input, bins, *, range=None, weight=None, density=False):
    if input.dim() < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    nd = input.shape[-1]
    bt, counts, range = _hist_prepare("histogramdd", input, bins, range, weight, nd)
    x = input.reshape(-1, nd)
    w = _hist_weight(weight, tuple(input.shape), tuple(input.shape[:-1]))
    aten = "_histogramdd_from_bin_" + ("tensors" if bt else "cts")
    hist, *edges = call(OPS["_histogramdd"], (x, w, bt), (counts, range, bool(density), aten))
    return RT.histogramdd((hist, tuple(edges)))
