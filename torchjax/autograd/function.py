"""torch.autograd.Function: user-defined forward/backward as one tape node."""
import functools

from .grad_mode import STATE
from . import graph


class FunctionCtx:
    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = [(t._st, t._st.version) if t is not None else None for t in tensors]

    @property
    def saved_tensors(self):
        if getattr(self, "_freed", False):
            raise RuntimeError("Trying to backward through the graph a second time (or directly "
                               "access saved tensors after they have already been freed). Saved "
                               "intermediate values of the graph are freed when you call "
                               ".backward() or autograd.grad(). Specify retain_graph=True if you "
                               "need to backward through the graph a second time or if you need to "
                               "access saved tensors after calling backward.")
        for t, sv in zip(self._saved, self._saved_versions):
            if sv is not None and sv[0].version != sv[1]:
                raise RuntimeError("one of the variables needed for gradient computation has been "
                                   "modified by an inplace operation: "
                                   f"{graph._desc(_unsaved(t))} is at version {sv[0].version}; "
                                   f"expected version {sv[1]} instead. Hint: enable anomaly detection to "
                                   "find the operation that failed to compute its gradient, with "
                                   "torch.autograd.set_detect_anomaly(True, check_nan=False).")
        return tuple(t.unpack(self) if isinstance(t, _SavedOutput) else t
                     for t in getattr(self, "_saved", ()))

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = set(map(id, tensors))

    def mark_dirty(self, *tensors):
        self._dirty = set(map(id, tensors))

    def set_materialize_grads(self, value):
        self._materialize = bool(value)


def _unsaved(t):
    return t.data if isinstance(t, _SavedOutput) else t


class _SavedOutput:
    """An output saved for backward: its data, re-linked to the node when unpacked."""
    __slots__ = ("data", "nr")

    def __init__(self, data, nr):
        self.data, self.nr = data, nr

    def unpack(self, node):
        from .._tensor import _alias
        t = _alias(self.data)
        t._grad_fn, t._output_nr, t._rg = node, self.nr, True
        return t


class BackwardCFunction(graph.Node, FunctionCtx):
    """The grad_fn of a custom Function: the node is also the ctx, like torch."""
    __slots__ = ()
    _materialize = True

    def apply(self, grads):
        from .._creation import zeros
        cls = self._forward_cls
        gs = []
        for g, meta in zip(grads, self._out_meta):
            if g is None and self._materialize and meta is not None:
                g = zeros(meta[0], dtype=meta[1])
            gs.append(g)
        res = cls.backward(self, *gs)
        if not isinstance(res, tuple):
            res = (res,)
        n_in = len(self._input_kinds)
        if len(res) != n_in:
            if len(res) > n_in and all(r is None for r in res[n_in:]):
                res = res[:n_in]
            else:
                raise RuntimeError(f"function {type(self).__name__} returned an incorrect number "
                                   f"of gradients (expected {n_in}, got {len(res)})")
        out = []
        dts = iter(getattr(self, "_in_dtypes", ()))
        for is_t, r in zip(self._input_kinds, res):
            if is_t:
                dt = next(dts, None)  # torch's validate_outputs: grads take the input's dtype
                out.append(r.to(dt) if dt is not None and r is not None and r.dtype != dt else r)
            elif r is not None:
                raise RuntimeError(f"function {type(self).__name__} returned a gradient different "
                                   "than None at position {} , but the corresponding forward input "
                                   "was not a Variable")
        return out

    def release(self):
        self._freed = True

    @property
    def needs_input_grad(self):
        return self._needs


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__slots__": ()})
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    generate_vmap_rule = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor, _alias
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        graph.Node.__init__(ctx)
        kinds = [isinstance(a, Tensor) for a in args]
        ctx._input_kinds = kinds
        ctx._needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        custom_setup = cls.setup_context is not Function.setup_context
        prev = STATE.enabled
        STATE.enabled = False
        try:
            if custom_setup:
                out = cls.forward(*args, **kwargs)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            STATE.enabled = prev
        if custom_setup:
            cls.setup_context(ctx, args, out)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        track = STATE.enabled and any(ctx._needs)
        if not track:
            return out
        ctx.next_functions = tuple((graph.edge_of(a) or (None, 0)) if isinstance(a, Tensor) else
                                   (None, 0) for a in args if isinstance(a, Tensor))
        ctx._input_kinds = kinds
        ctx._in_dtypes = tuple(a.dtype for a in args if isinstance(a, Tensor))
        non_diff = getattr(ctx, "_non_diff", set())
        dirty = getattr(ctx, "_dirty", set())
        results, meta = [], []
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                meta.append(None)
                continue
            nd = id(o) in non_diff
            if id(o) in input_ids and id(o) not in dirty:
                o = _alias(o)  # torch returns a view of a returned input
            if nd or not (o.dtype.is_floating_point or o.dtype.is_complex):
                meta.append((tuple(o.shape), o.dtype))  # torch materializes zeros for these too
                results.append(o)
                continue
            o._grad_fn, o._output_nr, o._rg = ctx, k, True
            meta.append((tuple(o.shape), o.dtype))
            results.append(o)
        ctx._out_meta = meta
        ctx._nout = len(outs)
        if getattr(ctx, "_saved", None):  # saved outputs keep their data, not the node (a cycle)
            ctx._saved = tuple(_SavedOutput(_alias(t), t._output_nr) if isinstance(t, Tensor) and
                               t._grad_fn is ctx else t for t in ctx._saved)
        return results[0] if single else tuple(results)


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .grad_mode import no_grad
        with no_grad():
            return fn(ctx, *args)
    return wrapper
