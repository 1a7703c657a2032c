"""The tape: grad_fn nodes, recording, in-place bookkeeping and the backward engine."""
import heapq
import itertools

import jax
import jax.numpy as jnp

from .. import _dtype as D
from .._jit import jit, lazy_jit, nested
from .._tensor import Tensor, wrap
from .._views import index_in_base
from .grad_mode import STATE
from .anomaly_mode import STATE as ANOMALY, check_nan

_seq = itertools.count()


class Node:
    """A grad_fn. ``next_functions`` is a tuple of (Node or None, output_nr) per tensor input."""
    __slots__ = ("next_functions", "_seq", "_pre", "_post", "_tpre", "__weakref__", "__dict__")

    def __init__(self):
        self._seq = next(_seq)
        self._pre = self._post = self._tpre = None

    def name(self):
        n = type(self).__name__
        return "torch::autograd::" + n if n in _CPP_NODES else n

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_hook(self, fn):
        self._post = (self._post or []) + [fn]
        return _Handle(lambda: self._post.remove(fn))

    def register_prehook(self, fn):
        self._pre = (self._pre or []) + [fn]
        return _Handle(lambda: self._pre.remove(fn))

    @property
    def metadata(self):
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d

    def release(self):
        pass


class _Handle:
    __slots__ = ("_remove",)

    def __init__(self, remove):
        self._remove = remove

    def remove(self):
        try:
            self._remove()
        except ValueError:
            pass


class AccumulateGrad(Node):
    __slots__ = ("variable",)

    def __init__(self, variable):
        super().__init__()
        self.variable = variable
        self.next_functions = ()
        self._seq = float("inf")


class OpNode(Node):
    """A node of one op-table call: backward is a cached jitted vjp of the op's forward."""
    __slots__ = ("op", "key", "arrs", "diff", "dpos", "fidx", "out_meta", "saved", "freed")

    def apply(self, grads):
        self._check_saved()
        E = self.op
        cts = tuple(grads[k]._value if grads[k] is not None else jnp.zeros(s, dt)
                    for k, (s, dt) in zip(self.fidx, self.out_meta))
        bkey = (self.key, self.diff, self.fidx)
        if STATE.enabled:  # create_graph: the vjp is itself a recorded op
            from .._ops.registry import call
            vop = _vjp_op(E, bkey, self.name())
            vop._configure(self.arrs, len(cts))
            flat = _flat(self.arrs)
            dep = _differentiable_in(vop, flat, cts, self.dpos)
            prims = [_with_edge(a, self.next_functions[i]) if i in dep else wrap(a)
                     for i, a in enumerate(flat)]
            cts_t = [grads[k] if grads[k] is not None else wrap(c)
                     for k, c in zip(self.fidx, cts)]
            res = call(vop, tuple(prims) + tuple(cts_t), ())
            res = res if isinstance(res, tuple) else (res,)
        else:
            f = E.bwd.get(bkey)
            if f is None:
                f = E.bwd[bkey] = jit(_vjp_fn(E, bkey))
            try:
                res = f(self.arrs, cts)
            except ValueError as e:
                if not nested(e):
                    raise
                res = _vjp_fn(E, bkey)(self.arrs, cts)  # inside the user's jax.jit: inline
            res = [wrap(r) for r in res]
        out = [None] * len(self.next_functions)
        for p, r in zip(self.dpos, res):
            out[p] = r
        return out

    def _check_saved(self):
        if self.freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or if "
                "you need to access saved tensors after calling backward.")
        for st, ver, t, gf, nr in self.saved:
            if st.version != ver:
                gf = self if gf is _SELF else gf
                desc = _desc(t, gf, nr)
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: {desc} is at version {st.version}; expected version "
                    f"{ver} instead. Hint: enable anomaly detection to find the operation that "
                    "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
                    "check_nan=False).")

    def release(self):
        if self.saved or self.op.saves is None:
            self.freed = True
            self.arrs = None


def _flat(arrs):
    out = []
    for a in arrs:
        if isinstance(a, tuple):
            out.extend(a)
        else:
            out.append(a)
    return out


def _with_edge(arr, edge):
    t = wrap(arr)
    if edge is not None:
        t._grad_fn, t._output_nr, t._rg = edge[0], edge[1], True
    return t


def _vjp_fn(E, bkey):
    """Python function (arrs, cts) -> grads of the diff inputs, for one forward key."""
    from .._ops._cascade import sum_to
    from .._ops.registry import _forward
    key, diff, fidx = bkey
    f = (E.fwd.get(key) or _forward(E, key))[0]  # (the cache may have been cleared since)

    def bwd(arrs, cts):
        def g(*d):
            a = list(arrs)
            for (i, j), v in zip(diff, d):
                if j is None:
                    a[i] = v
                else:
                    a[i] = a[i][:j] + (v,) + a[i][j + 1:]
            out = f(*a)
            if isinstance(out, tuple):
                return tuple(out[k] for k in fidx)
            return (out,)
        prims = [arrs[i] if j is None else arrs[i][j] for i, j in diff]
        shapes = None
        if E.bcast:   # differentiate at the broadcast shape, then reduce as torch's engine does
            full = jnp.broadcast_shapes(*(jnp.shape(a) for a in arrs if a is not None))
            shapes = [p.shape for p in prims]
            prims = [jnp.broadcast_to(p, full) for p in prims]
        _, vjp = jax.vjp(g, *prims)
        # torch's complex grads are the conjugates of JAX's cotangents (identity for reals)
        res = tuple(jnp.conj(r) for r in vjp(tuple(jnp.conj(c) for c in cts)))
        if shapes is not None:
            res = tuple(r if r.shape == s else sum_to(r, s) for r, s in zip(res, shapes))
        return res
    return bwd


_vjp_ops = {}


def _differentiable_in(vop, flat, cts, dpos):
    """The primal positions (of dpos) whose value the vjp's result depends on, as torch's
    requires_grad propagates through a derivative formula: a dedicated backward function (a
    'XBackwardBackward0' node, like relu's threshold_backward) depends on every input it reads;
    a composite formula only through float values (sum's or neg's gradient reads no primal,
    nansum's reads it only through isnan), so such a gradient does not require grad."""
    sig = tuple((a.shape, a.dtype) if a is not None else None for a in flat) + \
        tuple((c.shape, c.dtype) for c in cts)
    hit = vop._deps.get(sig)
    if hit is None:
        sds = lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype) if a is not None else None
        try:
            from jax._src.interpreters.partial_eval import dce_jaxpr  # (JAX internals: guarded)
            closed = jax.make_jaxpr(
                lambda ps, cs: vop.fn(**{f"a{j}": v for j, v in enumerate(list(ps) + list(cs))}))(
                [sds(a) for a in flat], [sds(c) for c in cts])
            jaxpr = closed.jaxpr
            pos = {}  # flat position -> jaxpr input var (None primals have no var)
            k = 0
            for i, a in enumerate(flat):
                if a is not None:
                    pos[i] = jaxpr.invars[k]
                    k += 1
            if vop.grad_name.count("Backward") > 1 or vop.grad_name == "NotImplemented":
                _, used = dce_jaxpr(jaxpr, [True] * len(jaxpr.outvars))
                hit = frozenset(i for i in dpos if used[jaxpr.invars.index(pos[i])])
            else:
                hit = frozenset(i for i in dpos if _float_path(jaxpr, pos[i]))
        except Exception:  # noqa: BLE001 - keep every edge when the analysis cannot run
            hit = frozenset(dpos)
        vop._deps[sig] = hit
    return hit


try:
    from jax.extend.core import Literal
except ImportError:  # older JAX
    from jax._src.core import Literal


def _float_path(jaxpr, var):
    """Whether an output of jaxpr depends on var through float (or complex) values."""
    return any(type(v) is not Literal and v in _float_deps(jaxpr, {var}) for v in jaxpr.outvars)


def _float_deps(jaxpr, dep):
    """The variables of jaxpr that depend on those in dep through float values (nested jit
    calls are followed; other inner jaxprs count as depending on all their inputs)."""
    dep = set(dep)
    for eqn in jaxpr.eqns:
        ins = [type(v) is not Literal and v in dep for v in eqn.invars]
        if not any(ins):
            continue
        inner = eqn.params.get("jaxpr") or eqn.params.get("call_jaxpr")
        inner = getattr(inner, "jaxpr", inner)
        if inner is not None and len(inner.invars) == len(eqn.invars):
            d = _float_deps(inner, {w for w, u in zip(inner.invars, ins) if u})
            outs = [type(w) is not Literal and w in d for w in inner.outvars]
        else:
            outs = [True] * len(eqn.outvars)
        dep.update(o for o, u in zip(eqn.outvars, outs)
                   if u and jnp.issubdtype(o.aval.dtype, jnp.inexact))
    return dep


def _vjp_op(E, bkey, name):
    """The vjp of one op as an op itself (for create_graph=True), inputs: flat primals + cts."""
    o = _vjp_ops.get((E, bkey))
    if o is None:
        from .._ops.registry import Op
        key, diff, fidx = bkey
        bwd = _vjp_fn(E, bkey)
        nargs = [None]

        def fn(**kw):
            flat = [kw[f"a{i}"] for i in range(len(kw))]
            n = nargs[0]
            arrs, it = [], iter(flat[:n])
            for a in structure:
                arrs.append(tuple(next(it) for _ in range(a)) if a is not None else next(it))
            return tuple(bwd(arrs, flat[n:]))
        structure = None
        o = Op.__new__(Op)
        o.__dict__.update(fn=fn, name=E.name + "_vjp", tnames=(), tpos=(), lists=frozenset(),
                          params=[], snames=(), promote=(), ppos=(), to_float=False, static_scalars=frozenset(),
                          grad_name=E.double_grad or name, saves=(), view=None, returns=None,
                          differentiable=True, fwd={}, bwd={}, plain={}, nplain={},
                          _node_cls=node_class("NotImplemented", _NotImplementedNode)
                          if E.double_grad == "NotImplemented" else None,
                          _deps={})
        _vjp_ops[(E, bkey)] = o

        def configure(arrs, ncts):
            nonlocal structure
            structure = [len(a) if isinstance(a, tuple) else None for a in arrs]
            nargs[0] = sum(1 if s is None else s for s in structure)
            o.tnames = tuple(f"a{i}" for i in range(nargs[0] + ncts))
        o._configure = configure
    return o


class _NotImplementedNode(OpNode):
    """torch's node for a gradient whose own derivative torch does not define (hardsigmoid's)."""
    __slots__ = ()

    def apply(self, grads):
        raise RuntimeError(f"derivative for aten::{self.op.name[:-4].rstrip('_')}_backward is not "
                           "implemented")


_node_classes = {}


def node_class(name, base=OpNode):
    cls = _node_classes.get((name, base))
    if cls is None:
        cls = _node_classes[(name, base)] = type(name, (base,), {"__slots__": ()})
    return cls


def edge_of(t):
    g = t._grad_fn
    if g is None:
        if not t._rg:
            return None
        if t._cm is not None and t._cm[0] == "no_grad" and t._base is not None and t._base._rg:
            return _NONE_EDGE  # made under no_grad from a tensor requiring grad: no grad reaches it
        acc = t._acc
        if acc is None:
            acc = t._acc = AccumulateGrad(t)
        return (acc, 0)
    if t._base is not None and t._gv != t._st.gv:
        _regen_view(t)
        g = t._grad_fn
    return (g, t._output_nr)


def _regen_view(t):
    """A view whose base was written in place under autograd: re-derive it from the base."""
    from .._ops.registry import OPS, call
    base = t._base
    vm = t._vm
    prev = STATE.enabled
    STATE.enabled = True
    try:
        if t._regen is not None:  # view_as_real/view_as_complex: replay the op, like torch
            name, src = t._regen
            t._grad_fn, t._output_nr = call(OPS[name], (src,), ())._grad_fn, 0
        elif vm is None:
            t._grad_fn, t._output_nr = base._grad_fn, base._output_nr
        else:
            idx, comp = view_index(t)
            r = call(OPS["_view_read"], (base, idx), (vm.shape, comp))
            t._grad_fn, t._output_nr = r._grad_fn, 0
    finally:
        STATE.enabled = prev
    t._gv = t._st.gv


def view_index(t):
    """(flat indices of view t's elements in its base, as a Tensor; t's dtype when it differs
    from the base's): the scatter/gather of CopySlices and regenerated views."""
    vm, base = t._vm, t._base
    if base._vm is None:
        return wrap(vm.index_map()), vm.comp
    dt, bdt = t._value.dtype, base._value.dtype
    return wrap(index_in_base(vm, dt, base._vm, bdt)), (None if dt == bdt else dt)


_SELF = object()  # "this node" in a saved entry (the node itself would be a ref cycle)


class _OutputMeta:
    """What the in-place error prints of a saved output."""
    __slots__ = ("dtype", "shape")
    _grad_fn = None

    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, shape


def _desc(t, grad_fn=None, nr=0):
    """torch's description of a saved tensor in the 'modified by an inplace operation' error:
    a saved output as it was saved (shape, node), a saved input as it is now."""
    if grad_fn is None and t._grad_fn is not None:
        grad_fn, nr = t._grad_fn, t._output_nr
    d = f"[torch.{t.dtype._legacy} {list(t.shape)}]"
    if grad_fn is not None and not isinstance(grad_fn, AccumulateGrad):
        n = grad_fn.name()
        d += f", which is output {nr} of {_short(n)},"
    return d


def _inference_error():
    raise RuntimeError(
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
        "inference mode in computation tracked by autograd. To work around this, you can make a "
        "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
        "`torch.inference_mode()`.")


_FLOATS = frozenset(d.np for d in D.ALL if d._cat >= 2)
_NONE_EDGE = (None, 0)
_ONE = (0,)
_CPP_NODES = frozenset(("AccumulateGrad", "CopySlices"))  # name() keeps torch's C++ namespace


def _save_plan(E, diff):
    """What a node of E saves, as (index, is_output) pairs in torch's order; cached on E, per
    set of inputs needing grad when E.saves depends on it (a function of their names)."""
    saves = E.saves if E.saves is not None else E.tnames
    if not callable(saves):
        E._save_plan = _plan(E, saves)
        return E._save_plan
    need = frozenset(i for i, _ in diff)
    plans = E.__dict__.setdefault("_save_plans", {})
    plan = plans.get(need)
    if plan is None:
        plan = plans[need] = _plan(E, saves({E.tnames[i] for i in need}))
    return plan


def _plan(E, saves):
    return tuple((int(n[6:] or 0), True) if n.startswith("result") else (E.tnames.index(n), False)
                 for n in reversed(saves or ()))


def record(E, key, targs, arrs, results):
    """Add one node for an op call whose inputs require grad (called from registry.call)."""
    edges, diff, dpos = [], [], []
    for i, a in enumerate(targs):
        if isinstance(a, Tensor):
            if a._inference:
                _inference_error()
            if a._rg and arrs[i].dtype in _FLOATS:
                dpos.append(len(edges))
                diff.append((i, None))
                edges.append(edge_of(a))
            else:
                edges.append(_NONE_EDGE)
        elif isinstance(a, (list, tuple)):
            for j, x in enumerate(a):
                if isinstance(x, Tensor) and x._rg and arrs[i][j].dtype in _FLOATS:
                    dpos.append(len(edges))
                    diff.append((i, j))
                    edges.append(edge_of(x))
                else:
                    edges.append(_NONE_EDGE)
        elif a is not None and i not in E.data:
            edges.append(_NONE_EDGE)
    if not diff:
        return
    if len(results) == 1:
        v = results[0]._value
        if v.dtype not in _FLOATS:
            return
        fidx, out_meta = _ONE, ((v.shape, v.dtype),)
    else:
        vals = [r._value for r in results]
        fidx = tuple(k for k, v in enumerate(vals) if v.dtype in _FLOATS)
        if not fidx:
            return
        out_meta = tuple((vals[k].shape, vals[k].dtype) for k in fidx)
    cls = E._node_cls
    if cls is None:
        from .._ops.registry import resolved_key
        name = E.grad_name if isinstance(E.grad_name, str) else E.grad_name(resolved_key(E, key, arrs))
        cls = node_class(name)
        if isinstance(E.grad_name, str):
            E._node_cls = cls
    n = cls()
    n.op, n.key, n.arrs, n.diff, n.dpos, n.fidx = E, key, arrs, tuple(diff), tuple(dpos), fidx
    n.next_functions = tuple(edges)
    n.out_meta = out_meta
    n.freed = False
    saved = ()
    plan = E._save_plan
    if plan is None:
        plan = _save_plan(E, diff)
    if plan:
        saved = []
        for k, is_out in plan:
            if is_out:  # an output of this node, kept as metadata (itself would make a ref cycle)
                t = results[k]
                saved.append((t._st, t._st.version, _OutputMeta(t.dtype, t.shape),
                              _SELF if k in fidx else None, k))
            else:
                t = targs[k]
                if isinstance(t, Tensor):
                    saved.append((t._st, t._st.version, t, None, 0))  # described as it is then
    n.saved = saved
    for k in fidx:
        r = results[k]
        r._grad_fn, r._output_nr, r._rg = n, k, True
        if r._base is not None:
            r._gv = r._st.gv


# ---------------------------------------------------------------- in-place

def check_inplace(t, others=()):
    """torch's checks before an in-place op on t (others: the op's other inputs)."""
    if t._inference and not STATE.inference:
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                           "allowed.You can make a clone to get a normal tensor before doing "
                           "inplace update.See https://github.com/pytorch/rfcs/pull/17 for more "
                           "details.")
    if not STATE.enabled:
        return
    if t._cm is not None and (t._rg or (t._base is not None and t._base._rg) or
                              any(isinstance(o, Tensor) and o._rg for o in others)):
        _rebase_error(t)
    if t._rg and t._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    b = t._base
    if b is not None and b._rg and b._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def _rebase_error(t):
    """An in-place write into a view that torch marks as not writable under autograd (``_cm``:
    made under no_grad, or one of several views one op returned)."""
    kind, nr = t._cm
    g = t._grad_fn
    if g is not None:
        msg = f"Output {nr} of {_short(g.name())} is a view and is being modified inplace."
    else:
        msg = ("A view was created in no_grad mode and is being modified inplace with grad mode "
               "enabled.")
    if kind == "multi":
        msg += (" This view is the output of a function that returns multiple views. Such "
                "functions do not allow the output views to be modified inplace. You should "
                "replace the inplace operation by an out-of-place one.")
    else:
        msg += (" Given that this use case is ambiguous and error-prone, it is forbidden. You can "
                "clarify your code by moving both the view and the inplace either both inside the "
                "no_grad block (if you don't want the inplace to be tracked) or both outside (if "
                "you want the inplace to be tracked).")
    raise RuntimeError(msg)


def _short(name):
    """A node name as torch's messages print it: ExpBackward0 -> Exp, TBackward1 -> T1."""
    return name[:-9] if name.endswith("Backward0") else name.replace("Backward", "", 1)


def inplace_update(self, r):
    """Write result r into self (an in-place op), moving autograd history like torch."""
    if r.dtype is not self.dtype:
        if not D.can_cast(r.dtype, self.dtype):
            raise RuntimeError(f"result type {D.SCALAR_NAME[r.dtype]} can't be cast to the desired "
                               f"output type {D.SCALAR_NAME[self.dtype]}")
        r = r._to_dtype(self.dtype)
    if r.shape != self.shape:
        if tuple(jnp.broadcast_shapes(tuple(r.shape), tuple(self.shape))) != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                               f"shape {list(jnp.broadcast_shapes(tuple(r.shape), tuple(self.shape)))}")
    track = STATE.enabled and (r._rg or (self._base is not None and self._base._rg))
    if not track:
        self._assign(r._value)
        return self
    st = self._st
    base = self._base
    if self._vm is None or base is None:  # not a view of another tensor: take over r's history
        self._assign(r._value)
        self._grad_fn, self._output_nr, self._rg = r._grad_fn, r._output_nr, True
        if base is not None:
            base._grad_fn, base._output_nr, base._rg = r._grad_fn, r._output_nr, True
    else:  # a partial view: the base's history becomes CopySlices(base, r)
        from .._ops.registry import OPS, call
        if r.shape != self.shape:
            r = call(OPS["expand"], (r,), (tuple(self.shape), False))
        idx, comp = view_index(self)
        nb = call(OPS["_copy_slices"], (base, r, idx), (comp,))
        st.value = nb._value
        st.version += 1
        self._vc, self._vv = r._value, st.version
        base._grad_fn, base._output_nr, base._rg = nb._grad_fn, 0, True
        self._rg = True
    st.gv += 1
    self._gv = st.gv if self._vm is None else self._gv
    return self


# ---------------------------------------------------------------- hooks

def register_tensor_hook(t, hook):
    if t._grad_fn is None:
        t._hooks = (t._hooks or []) + [hook]
        return _Handle(lambda: t._hooks.remove(hook))
    node, nr = edge_of(t)
    node._tpre = node._tpre or {}
    node._tpre.setdefault(nr, []).append(hook)
    return _Handle(lambda: node._tpre[nr].remove(hook))


def add_retain_hook(t):
    import weakref
    ref = weakref.ref(t)
    node, nr = edge_of(t)

    def keep(g):
        tt = ref()
        if tt is not None:
            tt._grad = g.detach() if tt._grad is None else tt._grad + g.detach()
    node.__dict__.setdefault("_retain", {})[nr] = keep


# ---------------------------------------------------------------- engine

def run_backward(roots, grads, retain_graph, create_graph, inputs=None, accumulate=True):
    """Run the graph from (tensor, grad) roots. With ``inputs``, return their grads (and only
    accumulate into them when ``accumulate``)."""
    edges = []
    for i, t in enumerate(roots):
        e = edge_of(t)
        if e is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
        edges.append(e)
    targets = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            e = edge_of(t)
            if e is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            targets.setdefault(e, []).append(i)
    # discover the graph (iteratively), counting dependencies and pruning to the targets
    deps, needed, order = {}, {}, []
    stack = [(e[0], False) for e in edges]
    seen = set()
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        stack.append((n, True))
        for nx, _ in n.next_functions:
            if nx is not None:
                deps[nx] = deps.get(nx, 0) + 1
                if nx not in seen:
                    stack.append((nx, False))
    target_nodes = {e[0] for e in targets}
    for n in order:  # post-order: children first
        needed[n] = (n in target_nodes) or (inputs is None) or \
            any(nx is not None and needed.get(nx, False) for nx, _ in n.next_functions)
    buffers = {}
    captured = [None] * (len(inputs) if inputs is not None else 0)
    for (n, nr), g in zip(edges, grads):
        _accum(buffers, n, nr, g)
    ready = [(-n._seq, id(n), n) for n in {e[0] for e in edges} if deps.get(n, 0) == 0]
    heapq.heapify(ready)
    prev = STATE.enabled
    STATE.enabled = bool(create_graph)
    try:
        while ready:
            _, _, n = heapq.heappop(ready)
            gs = buffers.pop(n, None) or {}
            if n._tpre:
                for nr, hooks in n._tpre.items():
                    for h in hooks:
                        if gs.get(nr) is not None:
                            r = h(gs[nr])
                            if r is not None:
                                gs[nr] = r
            ret = n.__dict__.get("_retain") if not isinstance(n, AccumulateGrad) else None
            if ret:
                for nr, keep in ret.items():
                    if gs.get(nr) is not None:
                        keep(gs[nr])
            if n in target_nodes:
                for nr_t, idxs in ((e[1], v) for e, v in targets.items() if e[0] is n):
                    g = gs.get(nr_t)
                    if isinstance(n, AccumulateGrad) and g is not None and n.variable._hooks:
                        for h in n.variable._hooks:
                            r = h(g)
                            g = r if r is not None else g
                    for i in idxs:
                        captured[i] = g
            if isinstance(n, AccumulateGrad):
                if accumulate and (inputs is None or n in target_nodes) and gs.get(0) is not None:
                    _accumulate_leaf(n.variable, gs[0], create_graph)
            elif needed.get(n, False):
                if n._pre:
                    for h in n._pre:
                        r = h(tuple(gs.get(i) for i in range(max(gs, default=-1) + 1)))
                        if r is not None:
                            gs = dict(enumerate(r))
                nout = (max(n.fidx) + 1) if isinstance(n, OpNode) else n._nout
                glist = [gs.get(i) for i in range(nout)]
                if any(g is not None for g in glist):
                    outs = n.apply(glist)
                    if ANOMALY[0] and ANOMALY[1]:
                        check_nan(n, outs)
                    if n._post:
                        for h in n._post:
                            r = h(tuple(outs), tuple(glist))
                            if r is not None:  # torch: a post hook may replace grad_inputs
                                outs = list(r)
                    for (nx, nr), g in zip(n.next_functions, outs):
                        if nx is not None and g is not None and needed.get(nx, False):
                            _accum(buffers, nx, nr, g)
                if not retain_graph:
                    n.release()
            for nx, _ in n.next_functions:
                if nx is not None:
                    deps[nx] -= 1
                    if deps[nx] == 0:
                        heapq.heappush(ready, (-nx._seq, id(nx), nx))
    finally:
        STATE.enabled = prev
    return captured


def _accum(buffers, n, nr, g):
    b = buffers.setdefault(n, {})
    if b.get(nr) is None:
        b[nr] = g
    else:
        b[nr] = b[nr] + g


def _accumulate_leaf(var, g, create_graph):
    if var._hooks:
        for h in var._hooks:
            r = h(g)
            if r is not None:
                g = r
    if var._grad is None:
        var._grad = g if create_graph else g.detach()
    elif create_graph or var._grad._rg:
        var._grad = var._grad + g
    else:
        var._grad._assign(_add(var._grad._value, g._value.astype(var._grad._value.dtype)))
    post = getattr(var, "_post_acc_hooks", None)  # Tensor.register_post_accumulate_grad_hook
    if post:
        for h in tuple(post.values()):
            r = h(var)
            if isinstance(r, Tensor):
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
            if r is not None:
                raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")


_add = lazy_jit(jnp.add)
