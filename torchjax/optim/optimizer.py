"""torch.optim.Optimizer on JAX.

Each optimizer declares its per-parameter state (``init_single``), the Python-double scalars of
one step (``hyper``: bias corrections, lr, ... computed exactly as torch's single-tensor code) and
a pure update of one parameter (``apply_single``). The base class runs the update of every
parameter of a group as ONE cached ``jax.jit`` over the lists (torch's foreach idea); per-step
scalars are arguments, so a changing lr does not recompile. Results are written back in place.
"""
import functools
import threading
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import jax
import jax.numpy as jnp

from .._jit import lazy_jit
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad, enable_grad

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_JIT = {}
_global_pre_hooks, _global_post_hooks = OrderedDict(), OrderedDict()
_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
               "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
               "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks")


def register_optimizer_step_pre_hook(hook):
    return _add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    return _add_hook(_global_post_hooks, hook)


def _real(x):
    """torch's view_as_real: complex parameters update as independent real pairs."""
    if x is not None and jnp.iscomplexobj(x):
        return jnp.stack([x.real, x.imag], -1)
    return x


def _unreal(x, like):
    if like is not None and jnp.iscomplexobj(like):  # view_as_complex: no arithmetic
        return jax.lax.complex(x[..., 0], x[..., 1]).astype(like.dtype)
    return x if like is None else x.astype(like.dtype)


_TRACING = threading.local()   # what a kernel being traced may ask (below)
_ZERO = []


def complex_param():
    """While a kernel is traced: whether its parameter is complex (the kernel sees the real view;
    torch runs some ops on the complex tensor, with complex kernels' roundings)."""
    return getattr(_TRACING, "complex", False)


def opaque_zero():
    """While a kernel is traced by the optimizer: an int32 zero passed as a jit argument, which
    neither XLA nor LLVM can fold (see _functional.rnd); None otherwise."""
    return getattr(_TRACING, "zero", None)


def inner_dim(shape):
    """The innermost dimension of size > 1 (the length of the loops LLVM vectorises)."""
    for n in reversed(shape):
        if n != 1:
            return n
    return 1


# From this innermost dim on, LLVM vectorises an elementwise loop along it, and contracts every
# product feeding an add into an FMA (what torch's fused kernels compute). Shorter innermost
# dims get the outer loop vectorised with interleaved accesses, where LLVM leaves some unfused.
SAFE_INNER = 16
_ELEMENTWISE = {}   # apply_single -> its class's ``elementwise``


def _group_update(kernel, static, params, grads, states, hypers, zero=None):
    from .._ops._cascade import fence
    elementwise = _ELEMENTWISE.get(kernel, False)
    out_p, out_s = [], []
    for p, g, s, h in zip(params, grads, states, hypers):
        rp, rg = _real(p), _real(g)
        rs = {k: _real(v) for k, v in s.items()}
        if "step" in rs:
            rs["step"] = rs["step"] + 1
        shape = rp.shape
        # an elementwise update of an array with a short innermost dim (a conv weight, a complex
        # parameter's real view) runs on flat vectors, materialised flat: one plain loop
        flat = elementwise and len(shape) > 1 and inner_dim(shape) < SAFE_INNER
        if flat:
            rp, rg = rp.reshape(-1), rg.reshape(-1)
            rs = {k: (v.reshape(-1) if v is not None and v.shape == shape else v)
                  for k, v in rs.items()}
        _TRACING.complex, _TRACING.zero = jnp.iscomplexobj(p), zero
        try:
            np_, ns = kernel(static, rp, rg, rs, h)
        finally:
            _TRACING.complex, _TRACING.zero = False, None
        if flat:
            np_ = fence(np_).reshape(shape)
            ns = {k: (fence(v).reshape(shape) if v.ndim == 1 and v.size == rp.size else v)
                  for k, v in ns.items()}
        out_p.append(_unreal(np_, p))
        # a state made from the gradient (SGD's first momentum buffer) takes the param's type
        out_s.append({k: _unreal(v, s[k] if s.get(k) is not None else p)
                      for k, v in ns.items()})
    return out_p, out_s


def _jitted(kernel, static):
    f = _JIT.get((kernel, static))
    if f is None:
        f = _JIT[(kernel, static)] = lazy_jit(functools.partial(_group_update, kernel, static))
    return f


def _typename(o):
    t = type(o)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _scalar_tensor(v):
    """torch's scalar state ('step', 'mu_product', ...): float64 only under a float64 default."""
    from .._creation import tensor
    from .. import _dtype as D
    t = _ns()
    dt = D.float64 if t.get_default_dtype() == D.float64 else D.float32
    return tensor(float(v), dtype=dt)


class Optimizer:
    # True where apply_single updates each element on its own (it may then run on flat arrays)
    elementwise = False

    def __init__(self, params, defaults):
        self.defaults = defaults
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _torch_typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ---- parameter groups ----
    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _torch_typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see github.com/pytorch/pytorch/"
                          "issues/40967 for more information", stacklevel=3)
        seen = set()
        for g in self.param_groups:
            seen.update(id(p) for p in g["params"])
            if ("param_names" in param_group) != ("param_names" in g):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    # ---- hooks ----
    def register_step_pre_hook(self, hook):
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state dict (torch's layout) ----
    def state_dict(self):
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping, start = {}, 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            r = hook(self, sd)
            if r is not None:
                sd = r
        return sd

    def load_state_dict(self, state_dict):
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            r = hook(self, state_dict)
            if r is not None:
                state_dict = r
        groups = self.param_groups
        saved = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value
                return value.to(dtype=param.dtype) if param.is_floating_point() else value
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v
        new_groups = []
        for g, ng in zip(groups, saved):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # ---- step ----
    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "step" in cls.__dict__:
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def step(self, closure=None):
        with no_grad():
            loss = None
            if closure is not None:
                with enable_grad():
                    loss = closure()
            for group in self.param_groups:
                self._step_group(group)
        return loss

    # subclasses: init_single(group, p) -> dict, hyper(group, state, step) -> tuple,
    # static(group) -> hashable, apply_single(static, p, g, state, hyper) -> (p, state)
    def _step_group(self, group):
        if group.get("differentiable"):  # loud, rather than a step autograd silently ignores
            raise NotImplementedError("torchjax: differentiable=True (autograd through "
                                      "optimizer.step()) is not supported yet")
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        for p in params:
            if len(self.state.get(p, ())) == 0:
                init = self.init_single(group, p)
                if init:
                    self.state[p] = init
        states = [self.state.get(p, {}) for p in params]
        steps = [None] * len(params)
        if "step" in states[0]:
            steps = [float(v) + 1 for v in jax.device_get([s["step"]._value for s in states])]
        hypers = [self.hyper(group, s, n) for s, n in zip(states, steps)]
        arrays = [{k: (v._value if isinstance(v, Tensor) else None) for k, v in s.items()
                   if isinstance(v, Tensor) or v is None} for s in states]
        _ELEMENTWISE[type(self).apply_single] = self.elementwise
        f = _jitted(type(self).apply_single, self.static(group))
        if not _ZERO:
            _ZERO.append(jnp.zeros((), jnp.int32))
        new_p, new_s = f([p._value for p in params], [p.grad._value for p in params],
                         arrays, hypers, _ZERO[0])
        for p, s, a, b in zip(params, states, new_p, new_s):
            p._assign(a)
            for k, v in b.items():
                if s.get(k) is None:
                    s[k] = _wrap(v)
                    self.state[p] = s
                else:
                    s[k]._assign(v)

    def init_single(self, group, p):
        return {}


def _with_step_hooks(func):
    """torch's profile_hook_step: global and per-optimizer pre/post hooks around every step."""
    if getattr(func, "_hooked", False):
        return func

    @functools.wraps(func)
    def step(*args, **kwargs):  # args[0] is the optimizer; hooks see it in args, as in torch
        self = args[0]
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            r = hook(self, args, kwargs)
            if r is not None:
                if not (isinstance(r, tuple) and len(r) == 2):
                    raise RuntimeError(f"{func} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {r}.")
                args, kwargs = r
        out = func(*args, **kwargs)
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    step._hooked = True
    return step


Optimizer.step = _with_step_hooks(Optimizer.step)


def _wrap(arr):
    from .._tensor import wrap
    return wrap(arr)


def _add_hook(d, hook, prepend=False):
    from ..utils.hooks import RemovableHandle
    h = RemovableHandle(d)
    d[h.id] = hook
    if prepend:
        d.move_to_end(h.id, last=False)
    return h


def _torch_typename(o):
    if isinstance(o, Tensor):
        return "torch." + {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(
            str(o.dtype).split(".")[-1], "Tensor")
    return _typename(o)


def full_like(p, v):
    return _ns().full_like(p, v)


def _ns():
    import torchjax
    return torchjax
