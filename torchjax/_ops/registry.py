"""The op table: each op is one pure JAX function plus its torch signature and traits.

``@op(...)`` registers a function whose parameters are torch's (names, defaults, keyword-only
marker). Parameters named in ``tensors`` receive jax arrays (Python numbers and None pass as
promoted scalars/None); the rest are static. From the entry we generate ``torch.X``, ``Tensor.X``,
``Tensor.X_``, ``out=`` and dunders. Forwards run as cached ``jax.jit`` executables keyed by the
static arguments; autograd records one node per call whose backward is a cached jitted
``vjp(f, *inputs)(cotangent)``.
"""
import inspect
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._jit import jit, nested
from .._tensor import Tensor, wrap, view_of, _new
from .._views import Storage, meta_of
from .._grad_state import STATE
from ._util import warn_user

OPS = {}
NAMESPACES = {}  # namespace ('', 'linalg', 'fft', 'special', 'nn.functional') -> {name: fn}
_EMPTY = inspect.Parameter.empty


class Op:
    tensor_only = None  # params that refuse Python numbers ("any": at least one Tensor)
    value_check = None  # f(targs, statics): eager checks on concrete values (a host sync)
    bcast = False       # see op(bcast=...)
    double_grad = None  # node name torch gives gradients computed with create_graph=True
    data = frozenset()  # positions (in tnames) of data scalars (see op(data=...))
    _save_plan = None  # what record() saves, worked out on first use
    opmath = ()  # params that stay float32 when one-element and the common dtype is float16/bf16
    def __init__(self, fn, name, tensors, lists, promote, to_float, static_scalars, grad, saves,
                 view, returns, differentiable, data=()):
        self.fn, self.name = fn, name
        self.params = list(inspect.signature(fn).parameters.values())
        tl = set(tensors) | set(lists) | set(data)
        self.tnames = tuple(p.name for p in self.params if p.name in tl)  # signature order
        self.data = frozenset(i for i, n in enumerate(self.tnames) if n in data)
        self.tpos = tuple(i for i, p in enumerate(self.params) if p.name in self.tnames)
        self.lists = frozenset(lists)
        self.snames = tuple(p.name for p in self.params if p.name not in self.tnames)
        self.promote = (tuple(tensors) + tuple(lists) if promote is True else tuple(promote or ()))
        self.ppos = tuple(i for i, n in enumerate(self.tnames) if n in self.promote)
        self.to_float = to_float
        self.static_scalars = frozenset(static_scalars)
        self.grad_name = grad or (_camel(name) + "Backward0")
        self.saves = saves
        self.view = view
        self.returns = returns
        self.differentiable = differentiable
        self.fwd, self.bwd, self._node_cls, self.plain, self.nplain = {}, {}, None, {}, {}
        # params where a Python number may take the fast path (full-precision 0-d array, promoted
        # while tracing); other numbers go through _convert
        self.numpos = frozenset(() if static_scalars else self.ppos) | self.data

    def __repr__(self):
        return f"<op {self.name}>"


def _camel(name):
    """torch's node names: log1p -> Log1P, deg2rad -> Deg2Rad."""
    out = "".join(p[:1].upper() + p[1:] for p in name.strip("_").split("_"))
    return "".join(c.upper() if i and out[i - 1].isdigit() else c for i, c in enumerate(out))


def op(tensors=("input",), lists=(), promote=True, to_float=False, static_scalars=(), grad=None,
       saves=None, view=None, returns=None, differentiable=True, name=None,
       method=True, function=True, inplace=False, out=False, dunders=(), namespace="",
       aliases=(), data=(), bcast=False):
    """Register a pure function as a torch op.

    promote: True (all tensor params to torch's common dtype), a tuple of param names, or False.
    to_float: integer/bool common dtypes become the default float (true division, exp, ...).
    static_scalars: tensor params whose Python-number values are compiled in (pow's exponent).
    data: scalar params (add's alpha) passed as full-precision 0-d arrays, so a new value does not
        recompile; the function sees their Python type as the dtype (bool/int64/float64/complex128).
    view: meta function (shape, stride, offset, comp, *statics) -> (shape, stride, offset, comp) for
      view ops, in elements of the input's and of the result's dtype (comp: the view's dtype when it
      differs from its storage's; set from the result).
    returns: a return_types class for ops returning named tuples.
    bcast: elementwise over its broadcast tensor args; a broadcast operand's gradient is then
        reduced by torch's sum_to (its summation order), not by the transpose of the broadcast.
    """
    def register(fn):
        E = Op(fn, name or fn.__name__.rstrip("_"), tensors if isinstance(tensors, tuple) else
               tuple(tensors.split()), tuple(lists.split()) if isinstance(lists, str) else lists,
               promote, to_float, static_scalars, grad, saves, view, returns, differentiable,
               data)
        E.bcast = bcast
        OPS[E.name] = E
        if function:
            f = _make_function(E, out)
            for space in ((namespace,) if isinstance(namespace, str) else namespace):
                ns = NAMESPACES.setdefault(space, {})
                for n in (E.name, *aliases):
                    ns[n] = f
        if method:
            m = _make_function(E, False, method=True)
            for n in (E.name, *aliases):
                METHODS[n] = m
        if inplace:
            m = _make_function(E, False, method=True, inplace=True)
            for n in (E.name, *aliases):
                METHODS[n + "_"] = m
        for d in dunders:
            METHODS[f"__{d}__"] = _make_dunder(E, d)
        return fn
    return register


METHODS = {}


def cross_saves(need):
    """A product rule: each input's grad needs the other input, so torch saves the other."""
    return tuple(n for n, m in (("other", "input"), ("input", "other")) if m in need)


def composite(method=True, function=True, namespace="", aliases=(), name=None):
    """Register a Python function derived from other ops (no jit entry of its own)."""
    def register(fn):
        n = name or fn.__name__
        if function:
            for space in ((namespace,) if isinstance(namespace, str) else namespace):
                for a in (n, *aliases):
                    NAMESPACES.setdefault(space, {})[a] = fn
        if method:
            for a in (n, *aliases):
                METHODS[a] = fn
        return fn
    return register


def _make_function(E, has_out, method=False, inplace=False):
    """Generate a Python function with the op's exact torch signature (fast: no generic binding)."""
    params, defaults, star = [], {}, False
    for i, p in enumerate(E.params):
        pname = "self" if (method and i == 0) else p.name
        if p.kind == p.VAR_POSITIONAL:
            params.append(f"*{pname}")
            star = True
            continue
        if p.kind == p.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        if p.default is _EMPTY:
            params.append(pname)
        else:
            defaults[pname] = p.default
            params.append(f"{pname}=_D[{pname!r}]")
    if has_out:
        params += ([] if star else ["*"]) + ["out=None"]
    names = ["self" if (method and i == 0) else p.name for i, p in enumerate(E.params)]
    targs = ", ".join(names[i] for i in E.tpos)
    sargs = ", ".join(n for n, p in zip(names, E.params) if p.name in E.snames)
    fname = E.name + ("_" if inplace else "")
    target = "_inplace" if inplace else "call"
    extra = ", out" if has_out else ""
    src = (f"def {fname}({', '.join(params)}):\n"
           f"    return {target}(_E, ({targs}{',' if targs else ''}), ({sargs}{',' if sargs else ''}){extra})\n")
    g = {"_E": E, "_D": defaults, "call": call, "_inplace": _inplace, "__name__": "torchjax"}
    exec(src, g)
    f = g[fname]
    f.__qualname__ = fname
    f.__module__ = "torchjax"
    return f


_REFLECTED = {"radd", "rsub", "rmul", "rtruediv", "rfloordiv", "rmod", "rpow", "rmatmul", "rand",
              "ror", "rxor", "rlshift", "rrshift", "rdiv"}


_SELF_FIRST = {"radd", "rmul", "rand", "ror", "rxor"}


def _make_dunder(E, d):
    sdef = tuple(p.default for p in E.params if p.name in E.snames)
    if d.startswith("i") and d not in ("invert",):
        return lambda self, other: _inplace(E, (self, other), sdef)
    if d in _SELF_FIRST:  # torch's __radd__/__rmul__/... are add/mul(self, other)
        def reflected(self, other):
            if not isinstance(self, Tensor):  # Tensor.__radd__(2, t): a C descriptor in torch
                raise TypeError(f"descriptor '__{d}__' for 'torch._C.TensorBase' objects doesn't "
                                f"apply to a '{type(self).__name__}' object")
            return call(E, (self, other), sdef)
        return reflected
    if d in _REFLECTED:
        return lambda self, other: call(E, (other, self), sdef)
    if len(E.tpos) == 1:
        return lambda self: call(E, (self,), sdef)
    if len(E.tpos) == 2 and E.view is None:
        return _binary_dunder(E, sdef)
    return lambda self, other: call(E, (self, other), sdef)


def _binary_dunder(E, sdef):
    """x + y on two plain tensors (no grad, not views, no autocast), or x * 2.5 once call() has
    cached that form, runs the op's cached executable straight away; everything else, errors
    included, goes through call()."""
    plain, nplain, nkey = E.plain, E.nplain, (sdef, (1,))

    def dunder(self, other):
        t = type(other)
        if (type(self) is Tensor and self._vm is None and not self._rg and AUTOCAST[0] is None
                and E.value_check is None):
            if t is Tensor and other._vm is None and not other._rg:
                ent, b = plain.get(sdef), other._st.value
            elif (t is float or t is int) and other:  # (zeros: _full_scalar keeps their sign)
                ent, b = nplain.get(nkey), _full_cache.get((other, t))
            else:
                ent = None
            if ent is not None and b is not None and ent[3] is D._default[0]:
                try:
                    res = ent[1](self._st.value, b)
                except Exception:  # noqa: BLE001 - call() raises torch's error or inlines
                    return call(E, (self, other), sdef)
                if type(res) is not tuple:
                    r = _new(Tensor)
                    r._st = Storage(res)
                    return r
        return call(E, (self, other), sdef)
    return dunder


# ---------------------------------------------------------------- dispatch

_scalar_cache = {}


def _check_int(v):
    """torch unpacks a Python int Scalar as int64, or uint64 when it is larger."""
    if type(v) is int and not -2 ** 63 <= v < 2 ** 64:
        raise OverflowError("int too big to convert" if v > 0 else
                            "can't convert negative int to unsigned")


def _big_int(v):
    _check_int(v)
    return _U64


def scalar_array(v, dt):
    key = (v, type(v), dt) if v else (repr(v), type(v), dt)  # -0.0 == 0.0: keep signed zeros apart
    a = _scalar_cache.get(key)
    if a is None:
        _check_int(v)
        if len(_scalar_cache) > 4096:
            _scalar_cache.clear()
        with np.errstate(over="ignore"):  # ints wrap, floats overflow to inf, as torch's do
            a = _scalar_cache[key] = jnp.asarray(np.asarray(v).astype(dt.np))
    return a


_promo_cache = {}
_NUMS = frozenset((int, float, bool, complex))
_U64 = "uint64"  # the kind of a Python int >= 2**63: torch wraps it as a uint64 0-d tensor
TRACED = ()  # key[1] when every promoted argument is a Tensor: f promotes from the avals
# (a tuple of positions: those arguments are Python numbers, passed as full-precision 0-d arrays)


def _common_dtype(E, targs, arrs):
    """torch's result_type over the promoted params (dim>0 tensors, 0-d tensors, numbers)."""
    key = [E.to_float, D._default[0]]
    for i in E.ppos:
        a = targs[i]
        if type(a) in _NUMS:
            key.append(type(a) if type(a) is not int or -2 ** 63 <= a < 2 ** 63 else _big_int(a))
        elif isinstance(a, Tensor):
            try:
                av = arrs[i].aval
            except AttributeError:  # (a numpy array inside some transformations)
                av = arrs[i]
            key.append((av.dtype, not av.shape))
        elif isinstance(a, numbers.Number):
            key.append(bool if isinstance(a, bool) else type(a))
        elif isinstance(a, (list, tuple)):
            key.extend((t._value.dtype, not t._value.shape) for t in a if isinstance(t, Tensor))
    key = tuple(key)
    r = _promo_cache.get(key, False)
    return r if r is not False else _promoted(key)


def _array_dtype(E, arrs, nums=()):
    """_common_dtype from arrays alone (in a trace); positions in nums hold Python numbers."""
    key = [E.to_float, D._default[0]]
    for i in E.ppos:
        v = arrs[i] if i < len(arrs) else None
        if i in nums:
            key.append(_PYTYPE[v.dtype])
        elif isinstance(v, tuple):
            key.extend((x.dtype, not x.shape) for x in v)
        elif v is not None:
            key.append((v.dtype, not v.shape))
    return _promoted(tuple(key))


def _promoted(key):
    """key: (to_float, default dtype, kinds...), a kind being (np dtype, is 0-d) for a tensor or
    a Python number type."""
    r = _promo_cache.get(key, False)
    if r is False:
        dims, zeros, wrapped = [], [], []
        for k in key[2:]:
            if isinstance(k, tuple):
                (zeros if k[1] else dims).append(D._by_np[k[0]])
            else:
                wrapped.append(D.uint64 if k is _U64 else D.scalar_dtype(k(1) if k is not bool else True))
        r = D.result_type_of(dims, zeros, wrapped)
        if r is not None and key[0] and r._cat < 2:
            r = key[1]
        _promo_cache[key] = r
    return r


def resolved_key(E, key, arrs):
    """key with its common dtype filled in (grad_fn names that depend on it)."""
    return key if type(key[1]) is not tuple else (key[0], _array_dtype(E, arrs, key[1])) + key[2:]


def _to_array(a, dt):
    if isinstance(a, Tensor):
        return a._value
    if a is None:
        return None
    if isinstance(a, numbers.Number):
        return scalar_array(a, dt or D.scalar_dtype(a))
    if isinstance(a, (list, tuple)):
        return tuple(_to_array(x, dt) for x in a)
    if hasattr(a, "__array__") or isinstance(a, jax.Array):
        return jnp.asarray(a)
    raise TypeError(f"expected Tensor as element but got {type(a).__name__}")


_FULL = {bool: D.bool, int: D.int64, float: D.float64, complex: D.complex128}
_PYTYPE = {D.bool.np: bool, D.int64.np: int, D.float64.np: float, D.complex128.np: complex}
_full_cache = {}


def _full_scalar(v):
    """A Python number as a 0-d array of its full type (None: an int outside int64)."""
    key = (v, type(v)) if v else (repr(v), type(v))  # -0.0 == 0.0: keep signed zeros apart
    a = _full_cache.get(key)
    if a is None:
        if type(v) is int and not -2 ** 63 <= v < 2 ** 63:
            return None
        if len(_full_cache) > 4096:
            _full_cache.clear()
        a = _full_cache[key] = scalar_array(v, _FULL[type(v)])
    return a


def _data_scalar(v):
    dt = _FULL.get(type(v)) if type(v) is not int or v < 2 ** 63 else D.uint64
    return scalar_array(v, dt) if dt is not None else _to_array(v, None)


def _freeze(v):
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, tuple):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, Tensor):
        return v.item() if v.numel() == 1 else tuple(_freeze(x) for x in v.tolist())
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    return v


_PLAIN = {int, float, bool, str, type(None), D.dtype, complex}


_REDUCED = frozenset((D.float16.np, D.bfloat16.np))


def _forward(E, key):
    """The cached jitted forward for one (statics, dtype plan) key."""
    statics, cdt, sscal, _ = key
    fn, tnames, snames, promote = E.fn, E.tnames, E.snames, E.promote
    traced = type(cdt) is tuple
    cast = cdt.np if cdt is not None and not traced else None
    sdict = dict(zip(snames, statics))

    var = next((i for i, p in enumerate(E.params) if p.kind == p.VAR_POSITIONAL), None)
    pos = [p.name for p in E.params[:var + 1]] if var is not None else []

    def f(*arrs):
        c = cast
        if traced:
            c = _array_dtype(E, arrs, cdt)
            c = c.np if c is not None else None
        kw = dict(sdict)
        for n, a in zip(tnames, arrs):
            if c is not None and n in promote and a is not None:
                if n in E.opmath and c in _REDUCED and a.size == 1:
                    a = a.astype(np.float32)
                else:
                    a = tuple(x.astype(c) for x in a) if isinstance(a, tuple) else a.astype(c)
            kw[n] = a
        for n, v in sscal:
            kw[n] = v
        if pos:  # a *varargs param: pass everything up to it positionally
            args = [kw.pop(n) for n in pos]
            return fn(*args[:-1], *args[-1], **kw)
        return fn(**kw)
    return f, jit(f), key, key[3]


AUTOCAST = [None]  # while an autocast region is on: f(E, targs, statics) -> (targs, statics)


def call(E, targs, statics, out=None, autocast=True):
    if AUTOCAST[0] is not None and out is None and autocast:  # no out=/in-place op autocasts
        targs, statics = AUTOCAST[0](E, targs, statics)
    for s in statics:
        if type(s) not in _PLAIN:
            statics = _freeze(statics)
            break
    # one pass over the tensor arguments: arrays, and whether autograd may need a node
    arrs, need, plain = [], False, True
    for a in targs:
        if type(a) is Tensor or isinstance(a, Tensor):
            arrs.append(a._st.value if a._vm is None else a._value)
            if a._rg:
                need = True
        else:
            if a is not None:
                plain = False
            arrs.append(a)
    if plain and E.value_check is None:  # the common case: keys cached per statics
        ent = E.plain.get(statics)
        if ent is None or ent[3] is not D._default[0]:
            key = (statics, TRACED if E.promote else None, (), D._default[0])
            ent = E.fwd.get(key)
            if ent is None:
                ent = E.fwd[key] = _forward(E, key)
            E.plain[statics] = ent
        key = ent[2]
    else:
        nums = TRACED if plain else _numbers(E, targs, arrs)
        if nums is None:  # other arguments: torch's argument parser checks come first
            _parse(E, targs)
        if E.value_check is not None:
            E.value_check(targs, statics)
        if nums is not None:  # f finds the common dtype while tracing
            ent = E.nplain.get((statics, nums))
            if ent is None or ent[3] is not D._default[0]:
                key = (statics, nums if E.promote else None, (), D._default[0])
                ent = E.fwd.get(key)
                if ent is None:
                    ent = E.fwd[key] = _forward(E, key)
                E.nplain[(statics, nums)] = ent
            key = ent[2]
        else:
            targs, key, need = _convert(E, targs, statics, arrs, need)
            ent = E.fwd.get(key)
            if ent is None:
                ent = E.fwd[key] = _forward(E, key)
    try:
        res = ent[1](*arrs)
    except Exception as e:  # a torch error raised while tracing: drop JAX's frames and note
        if not nested(e):
            raise _user_error(e)
        res = ent[0](*arrs)  # inside the user's jax.jit: inline f into its trace
    if not need and out is None and E.view is None and type(res) is not tuple:
        r = _new(Tensor)  # the common case: one new tensor, no node
        r._st = Storage(res)
        return r
    return _finish(E, targs, statics, res, key, arrs, need, out)


def _finish(E, targs, statics, res, key, arrs, need, out):
    """Wrap the forward's result(s) (views alias their input), record the node, fill out=."""
    if E.view is None and type(res) is not tuple:  # the common case: one new tensor
        r = _new(Tensor)
        r._st = Storage(res)
        results = (r,)
    elif E.view is not None:
        src = targs[0]
        shape, stride, offset, _ = E.view(*meta_of(src), *statics, *targs[1:])
        results = (view_of(src, res, shape, stride, offset),)
    else:
        results = tuple(wrap(o) for o in res)
    if need and STATE.enabled and E.differentiable:
        _graph().record(E, key, targs, tuple(arrs), results)
    if out is not None:
        _write_out(out, results, E.name)
        return out
    if type(res) is tuple:
        return E.returns(*results) if E.returns else results
    return results[0]


def _numbers(E, targs, arrs):
    """The fast path when the non-Tensor arguments are Python numbers in E.numpos: they become
    full-precision 0-d arrays (in arrs) and f promotes them while tracing. Returns the positions
    of the promoted ones, or None (then _convert does the work)."""
    if E.tensor_only is not None:
        return None
    pos, i = (), -1
    for a in targs:
        i += 1
        t = type(a)
        if t is Tensor or a is None or isinstance(a, Tensor):
            continue
        if t not in _NUMS or i not in E.numpos:
            return None
        v = _full_cache.get((a, t)) if a else None  # (zeros: _full_scalar keeps their sign)
        if v is None:
            v = _full_scalar(a)
            if v is None:
                return None
        arrs[i] = v
        if i not in E.data:
            pos += (i,)
    return pos


def _parse(E, targs):
    """What torch's argument parser refuses: Python numbers for Tensor-only params, ints that fit
    neither int64 nor uint64."""
    if E.tensor_only is not None:
        _check_tensor_args(E, targs, E.tensor_only)
    for a in targs:
        if type(a) is int:
            _check_int(a)


def _convert(E, targs, statics, arrs, need):
    """Python numbers, lists and array-likes among the tensor arguments become arrays (in place
    in arrs); returns (targs, forward key, need)."""
    cdt = _common_dtype(E, targs, arrs) if E.promote else None
    sscal = ()
    if E.static_scalars:
        sscal = tuple((n, a) for n, a in zip(E.tnames, targs)
                      if n in E.static_scalars and isinstance(a, numbers.Number))
        if sscal:
            for _, v in sscal:
                _check_int(v)
            targs = tuple(None if (n in E.static_scalars and isinstance(a, numbers.Number))
                          else a for n, a in zip(E.tnames, targs))
    for i, a in enumerate(targs):
        if type(a) in _NUMS and i not in E.data:
            dt = cdt or D.scalar_dtype(a)
            if E.opmath and dt.np in _REDUCED and E.tnames[i] in E.opmath:
                dt = D.float32  # see Op.opmath
            arrs[i] = scalar_array(a, dt)
        elif not isinstance(a, Tensor):
            arrs[i] = _to_array(a, cdt) if i not in E.data else _data_scalar(a)
            if not need and isinstance(a, (list, tuple)):
                need = any(isinstance(x, Tensor) and x._rg for x in a)
    return targs, (statics, cdt, sscal, D._default[0]), need


def _graph():
    global _graph
    from ..autograd import graph
    _graph = lambda: graph
    return graph


def _check_tensor_args(E, targs, only):
    """torch's argument parser refuses Python numbers for some Tensor params (E.tensor_only: a
    tuple of param names, or "any": at least one tensor argument must be a Tensor)."""
    if only == "any":
        if not any(isinstance(a, Tensor) for a in targs):
            got = ", ".join(type(a).__name__ for a in targs)
            raise TypeError(f"{E.name}() received an invalid combination of arguments - got ({got})")
        return
    for n, a in zip(E.tnames, targs):
        if n in only and a is not None and not isinstance(a, Tensor):
            pos = [p.name for p in E.params].index(n) + 1
            raise TypeError(f"{E.name}(): argument '{n}' (position {pos}) must be Tensor, not "
                            f"{type(a).__name__}")


def clear_caches():
    """Drop every compiled forward/backward (and JAX's caches). Long runs over many distinct
    shapes (test sweeps) otherwise accumulate executables until the OS refuses more mappings."""
    for E in OPS.values():
        E.fwd.clear()
        E.plain.clear()
        E.nplain.clear()
        E.bwd.clear()
    from ..autograd import graph
    graph._vjp_ops.clear()
    jax.clear_caches()


# Each XLA CPU executable holds memory mappings; a process compiling thousands of (op, shape)
# variants (varying sequence lengths, test sweeps) would reach vm.max_map_count (65530 by default)
# and XLA then fails with "Cannot allocate memory". Every 128 compiles we count our mappings and,
# past the limit, drop every cached executable (they recompile, or reload from the disk cache).
MAPS_LIMIT = 20000
_compiles = [0]


def _map_count():
    try:
        with open("/proc/self/maps", "rb") as f:
            return sum(1 for _ in f)
    except OSError:  # not Linux: no such limit to guard
        return 0


def _on_compile(event, duration, **kwargs):
    if event == "/jax/core/compile/backend_compile_duration":
        _compiles[0] += 1
        if _compiles[0] % 128 == 0 and _map_count() > MAPS_LIMIT:
            clear_caches()


jax.monitoring.register_event_duration_secs_listener(_on_compile)


def _user_error(e):
    notes = getattr(e, "__notes__", None)
    if notes:
        e.__notes__ = [n for n in notes if "JAX_TRACEBACK_FILTERING" not in n]
    return e


def _write_out(out, results, name=None, resize_warning=True):
    """Write results into out= tensors. name: the op torch names when out= meets autograd (None:
    a composite that writes what it computed, as torch's diag/tensorinv do)."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o, r in zip(outs, results):
        if name is not None and r._rg and STATE.enabled:
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires grad.")
        v = r._value
        if not D.can_cast(D._by_np[v.dtype], o.dtype):
            raise RuntimeError(f"result type {D.SCALAR_NAME[D._by_np[v.dtype]]} can't be cast to "
                               f"the desired output type {D.SCALAR_NAME[o.dtype]}")
        if tuple(o.shape) != tuple(v.shape):
            if o._vm is not None:
                raise RuntimeError("out tensor is a view with a different shape")
            if resize_warning and o.numel():
                warn_user(f"An output with one or more elements was resized since it had "
                              f"shape {list(o.shape)}, which does not match the required output "
                              f"shape {list(v.shape)}. This behavior is deprecated, and in a future "
                              "PyTorch release outputs will not be resized unless they have zero elements. "
                              "You can explicitly reuse an out tensor t by resizing it, inplace, to "
                              "zero elements with t.resize_(0).")
            o._st.value = v.astype(o.dtype.np)
            o._st.version += 1
        else:
            o._assign(v.astype(o.dtype.np))


def _inplace(E, targs, statics):
    self = targs[0]
    from ..autograd.graph import check_inplace, inplace_update
    check_inplace(self, targs[1:])
    r = call(E, targs, statics, autocast=False)
    return inplace_update(self, r)
