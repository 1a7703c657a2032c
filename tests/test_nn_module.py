"""nn.Module core, containers, Flatten/Unflatten and module hooks, compared with real torch.

Each scenario is a function of the library (torch or torchjax) that returns a log of plain values
(strings, tuples, numpy arrays); the logs must be equal."""
import copy
import io
import pickle
import re
import warnings
from collections import OrderedDict

import numpy as np
import torch

import torchjax


def _plain(v):
    if isinstance(v, (torch.Tensor, torchjax.Tensor)):
        return ("T", str(v.dtype).replace("torchjax", "torch"), tuple(v.shape),
                np.asarray(v.detach().numpy()).round(5).tolist())
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [_plain(x) for x in v]
    if isinstance(v, dict):
        return "dict", [(k, _plain(x)) for k, x in v.items()]
    if type(v).__name__ in ("dtype", "device", "Size"):
        return str(v).replace("torchjax", "torch")
    if isinstance(v, str):
        return re.sub(r" at 0x[0-9a-f]+", "", v).replace("torchjax", "torch")
    return v


def _both(scenario):
    out = []
    for lib in (torch, torchjax):
        log = []
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scenario(lib, log)
        out.append(_plain(log)[1])
    for i, (a, b) in enumerate(zip(out[0], out[1])):
        assert b == a, f"log entry {i} differs:\ntorch:    {a!r}\ntorchjax: {b!r}"
    assert len(out[1]) == len(out[0])


def _err(log, fn):
    try:
        fn()
        log.append("no error")
    except Exception as e:  # record type and message
        log.append((type(e).__name__, str(e)))


class _Net:
    """Builds the same small model class for either library."""

    def __init__(self, lib):
        nn = lib.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 4)
                self.seq = nn.Sequential(nn.Linear(4, 4), nn.Identity())
                self.scale = nn.Parameter(lib.ones(4))
                self.register_buffer("running", lib.zeros(4))
                self.register_buffer("tmp", lib.ones(2), persistent=False)

            def forward(self, x):
                return self.seq(self.fc(x)) * self.scale + self.running

        self.cls = Net


def _net(lib):
    return _Net(lib).cls()


# ------------------------------------------------------------------ registration & traversal

def test_registration_and_traversal():
    def s(lib, log):
        m = _net(lib)
        log.append(repr(m))
        log.append([n for n, _ in m.named_parameters()])
        log.append([n for n, _ in m.named_buffers()])
        log.append([n for n, _ in m.named_children()])
        log.append([n for n, _ in m.named_modules()])
        log.append([n for n, _ in m.named_modules(prefix="root")])
        log.append([n for n, _ in m.named_parameters(prefix="p", recurse=False)])
        log.append(len(list(m.parameters())))
        log.append(len(list(m.buffers(recurse=False))))
        log.append(len(list(m.modules())))
        shared = lib.nn.Linear(2, 2)
        top = lib.nn.Sequential(shared, shared)
        log.append([n for n, _ in top.named_modules()])
        log.append([n for n, _ in top.named_modules(remove_duplicate=False)])
        log.append([n for n, _ in top.named_parameters()])
        log.append([n for n, _ in top.named_parameters(remove_duplicate=False)])
        # (ipu/xpu/mtia device movers are not provided)
        log.append(sorted(k for k in dir(m) if not k.startswith("_") and
                          k not in ("ipu", "xpu", "mtia")))
        m.running = lib.full((4,), 2.0)  # assigning a tensor to a buffer name keeps it a buffer
        log.append(list(m._buffers))
        m.fc = None
        log.append(repr(m))
        del m.scale
        log.append([n for n, _ in m.named_parameters()])
        m.extra = lib.nn.Buffer(lib.ones(1), persistent=False)
        log.append((list(m._buffers), sorted(m._non_persistent_buffers_set)))
        log.append(list(m.state_dict()))
        m.seq = lib.nn.Identity()
        log.append([n for n, _ in m.named_modules()])
    _both(s)


def test_registration_errors():
    def s(lib, log):
        nn = lib.nn
        m = nn.Linear(2, 2)
        _err(log, lambda: m.foo)
        _err(log, lambda: setattr(m, "weight", lib.ones(2, 2)))
        _err(log, lambda: m.register_parameter("a.b", None))
        _err(log, lambda: m.register_parameter("", None))
        _err(log, lambda: m.register_parameter("in_features", None))
        _err(log, lambda: m.register_parameter("p", lib.ones(2)))
        _err(log, lambda: m.register_parameter(1, None))
        _err(log, lambda: m.register_buffer("weight", lib.ones(2)))
        _err(log, lambda: m.register_buffer("b", 3))
        _err(log, lambda: m.register_buffer("x.y", None))
        _err(log, lambda: m.add_module("sub", 3))
        _err(log, lambda: m.add_module("a.b", nn.Identity()))
        _err(log, lambda: m.add_module("", nn.Identity()))
        m.sub = nn.Identity()
        _err(log, lambda: setattr(m, "sub", 3))
        x = lib.ones(2, requires_grad=True) * 2
        _err(log, lambda: m.register_parameter("q", nn.Parameter(lib.ones(1)) * 2))
        _err(log, lambda: m.get_submodule("sub.nope"))
        _err(log, lambda: m.get_submodule("weight"))
        _err(log, lambda: m.get_parameter("sub"))
        _err(log, lambda: m.get_parameter("nope"))
        _err(log, lambda: m.get_buffer("weight"))
        log.append(m.get_parameter("weight").shape)
        log.append(m.get_submodule("") is m)
        _err(log, lambda: nn.Module()(x))
        _err(log, lambda: nn.Linear(2, 2, 3, 4, 5, 6))
        _err(log, lambda: m.train("yes"))

        class Early(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(lib.ones(1))
        _err(log, Early)
        _err(log, lambda: nn.Module(3))
        _err(log, lambda: nn.Module(a=3))
    _both(s)


def test_train_eval_requires_grad_zero_grad_apply():
    def s(lib, log):
        m = _net(lib)
        log.append(m.training)
        log.append(m.eval() is m)
        log.append([x.training for x in m.modules()])
        m.train()
        log.append([x.training for x in m.modules()])
        m.requires_grad_(False)
        log.append([p.requires_grad for p in m.parameters()])
        m.requires_grad_()
        m(lib.ones(2, 3)).sum().backward()
        log.append([p.grad for p in m.parameters()])
        m.zero_grad(set_to_none=False)
        log.append([p.grad for p in m.parameters()])
        m.zero_grad()
        log.append([p.grad for p in m.parameters()])
        seen = []
        log.append(m.apply(lambda x: seen.append(type(x).__name__)) is m)
        log.append(seen)
        log.append(m.share_memory() is m)
    _both(s)


# ------------------------------------------------------------------ conversion

def test_apply_to_dtypes_keeps_parameter_identity():
    def s(lib, log):
        m = _net(lib)
        w = m.fc.weight
        m(lib.ones(2, 3)).sum().backward()
        m.double()
        log.append((m.fc.weight is w, w.dtype, w.grad.dtype, m.running.dtype, w.requires_grad,
                    type(w).__name__))
        m.float()
        log.append((m.fc.weight is w, w.dtype, w.grad.dtype))
        m.to(lib.float64)
        log.append((w.dtype, m.running.dtype))
        m.to("cpu", lib.float32)
        log.append((w.dtype, str(w.device)))
        m.half()
        log.append(w.dtype)
        m.bfloat16()
        log.append(w.dtype)
        m.type(lib.float64)
        log.append(w.dtype)
        m.to(lib.ones(1, dtype=lib.float32))
        log.append(w.dtype)
        m.cpu()
        log.append(w.dtype)
        _err(log, lambda: m.to(lib.int64))
        m.register_buffer("count", lib.tensor(3))
        m.double()
        log.append(m.count.dtype)  # integer buffers are left alone
        log.append(m.to(dtype=lib.float32) is m)
    _both(s)


def test_optimizer_survives_module_to():
    m = torchjax.nn.Linear(3, 2)
    opt = torchjax.optim.SGD(m.parameters(), lr=0.1) if hasattr(torchjax, "optim") and \
        hasattr(torchjax.optim, "SGD") else None
    m.double()
    if opt is not None:
        assert opt.param_groups[0]["params"][0] is m.weight
    assert m.weight.dtype is torchjax.float64 and isinstance(m.weight, torchjax.nn.Parameter)


# ------------------------------------------------------------------ state_dict

def test_state_dict_and_metadata():
    def s(lib, log):
        m = _net(lib)
        sd = m.state_dict()
        log.append(type(sd).__name__)
        log.append(list(sd))
        log.append(dict(sd._metadata))
        log.append([v.requires_grad for v in sd.values()])
        log.append(list(m.state_dict(prefix="pre.")))
        log.append(dict(m.state_dict(prefix="pre.")._metadata))
        kv = m.state_dict(keep_vars=True)
        log.append(kv["fc.weight"] is m.fc.weight)
        log.append(sd["fc.weight"] is m.fc.weight)
        dest = OrderedDict()
        log.append(m.state_dict(dest) is dest)
    _both(s)


def test_load_state_dict():
    def s(lib, log):
        m = _net(lib)
        lib.manual_seed(1)
        m2 = _net(lib)
        res = m.load_state_dict(m2.state_dict())
        log.append((repr(res), str(res), res.missing_keys, res.unexpected_keys))
        log.append(m.fc.weight)
        sd = m2.state_dict()
        del sd["fc.bias"]
        sd["extra"] = lib.ones(1)
        sd["seq.5.weight"] = lib.ones(1)
        _err(log, lambda: m.load_state_dict(sd))
        res = m.load_state_dict(sd, strict=False)
        log.append(repr(res))
        bad = m2.state_dict()
        bad["fc.weight"] = lib.ones(5, 3)
        bad["scale"] = "nope"
        _err(log, lambda: m.load_state_dict(bad))
        _err(log, lambda: m.load_state_dict([1]))
        w = m.fc.weight
        new = {k: v.clone() + 1 for k, v in m2.state_dict().items()}
        m.load_state_dict(new)
        log.append((m.fc.weight is w, m.fc.weight))
        m.load_state_dict(new, assign=True)
        log.append((m.fc.weight is w, m.fc.weight.requires_grad, type(m.fc.weight).__name__,
                    m.running is new["running"]))
        # a 0-d buffer accepts a 1-element 1-d tensor
        z = lib.nn.Module()
        z.register_buffer("n", lib.tensor(0))
        z.load_state_dict({"n": lib.tensor([5])})
        log.append(z.n)
    _both(s)


def test_state_dict_hooks_and_extra_state():
    def s(lib, log):
        nn = lib.nn

        class WithExtra(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(2, 2)
                self.v = 0

            def get_extra_state(self):
                return {"v": self.v}

            def set_extra_state(self, state):
                self.v = state["v"]

        m = WithExtra()
        m.v = 7
        sd = m.state_dict()
        log.append(list(sd))
        m2 = WithExtra()
        m2.load_state_dict(sd)
        log.append(m2.v)
        _err(log, lambda: m2.load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"}))
        calls = []
        m.register_state_dict_pre_hook(lambda mod, prefix, kv: calls.append(("pre", prefix)))
        m.lin._register_state_dict_hook(lambda mod, sd, prefix, meta: calls.append(
            ("post", prefix, dict(meta))))
        h = m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append("pub"))
        m.state_dict()
        h.remove()
        m.state_dict()
        log.append(calls)
        calls.clear()
        m.register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, meta, strict, mk, uk, em: calls.append(("lpre", prefix)))

        def post(mod, keys):
            calls.append(("lpost", list(keys.missing_keys)))
            keys.missing_keys.clear()
        m.lin.register_load_state_dict_post_hook(post)
        res = m.load_state_dict({"_extra_state": {"v": 1}, "lin.weight": lib.ones(2, 2)})
        log.append(repr(res))
        log.append(calls)
    _both(s)


# ------------------------------------------------------------------ pickling

def test_pickle_deepcopy_and_save():
    def s(lib, log):
        nn = lib.nn
        m = nn.Sequential(nn.Linear(3, 4), nn.Flatten(), nn.Linear(4, 2))
        m.register_buffer("running", lib.ones(2))
        m.register_buffer("tmp", lib.ones(2), persistent=False)
        m.eval()
        for clone in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
            log.append((repr(clone), clone.training, list(clone.state_dict()),
                        [p.requires_grad for p in clone.parameters()],
                        type(clone[0].weight).__name__, clone[0].weight is not m[0].weight))
            log.append(clone(lib.ones(1, 3)))
        buf = io.BytesIO()
        lib.save(m, buf)
        buf.seek(0)
        m3 = lib.load(buf, weights_only=False)
        log.append((repr(m3), m3(lib.ones(1, 3))))
        buf = io.BytesIO()
        lib.save(m.state_dict(), buf)
        buf.seek(0)
        log.append(list(lib.load(buf)))
    _both(s)


# ------------------------------------------------------------------ repr

def test_repr_nested():
    def s(lib, log):
        nn = lib.nn

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(2, 3, bias=False)
                self.b = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)] + [nn.Identity()])

            def extra_repr(self):
                return "custom=1\nsecond line"

        outer = nn.Sequential(OrderedDict(block=Block(), flat=nn.Flatten(0, 1),
                                          unflat=nn.Unflatten(1, (2, 2)),
                                          d=nn.ModuleDict({"x": nn.Identity()}),
                                          empty=nn.ModuleList(), bil=nn.Bilinear(2, 3, 4)))
        log.append(repr(outer))
        log.append(repr(nn.Module()))
        log.append(repr(nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(2,
                                                                                 dtype=lib.float64),
                                          "s"])))
        log.append(repr(nn.ParameterDict({"b": lib.ones(2), "a": nn.Parameter(lib.zeros(1, 2)),
                                          "c": 3})))
    _both(s)


# ------------------------------------------------------------------ containers

def test_sequential_ops():
    def s(lib, log):
        nn = lib.nn
        seq = nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 2))
        log.append((len(seq), repr(seq[0]), repr(seq[-1]), repr(seq[1:]), type(seq[1:]).__name__))
        log.append(seq(lib.ones(1, 2)))
        _err(log, lambda: seq[3])
        _err(log, lambda: seq[-4])
        seq[1] = nn.Flatten()
        log.append(repr(seq))
        seq.append(nn.Identity())
        seq.insert(0, nn.Identity())
        seq.insert(-1, nn.Flatten())
        log.append(repr(seq))
        _err(log, lambda: seq.insert(10, nn.Identity()))
        _err(log, lambda: seq.insert(0, 3))
        log.append(repr(seq.pop(0)))
        del seq[1:3]
        log.append(repr(seq))
        seq.extend([nn.Identity()])
        log.append(repr(seq + nn.Sequential(nn.Flatten())))
        _err(log, lambda: seq + 3)
        log.append(repr(nn.Sequential(nn.Identity()) * 2))
        log.append(repr(2 * nn.Sequential(nn.Identity())))
        _err(log, lambda: nn.Sequential() * 0)
        s2 = nn.Sequential(nn.Identity(), nn.Flatten())
        s2 *= 2
        log.append(repr(s2))
        s2 += nn.Sequential(nn.Identity())
        log.append(repr(s2))
        log.append([type(x).__name__ for x in s2])
        log.append([k for k in dir(s2) if k.isdigit()])
        od = nn.Sequential(OrderedDict([("first", nn.Identity()), ("second", nn.Flatten())]))
        log.append((repr(od), repr(od[1])))
    _both(s)


def test_modulelist_moduledict():
    def s(lib, log):
        nn = lib.nn
        ml = nn.ModuleList([nn.Identity(), nn.Flatten()])
        ml.append(nn.Identity())
        ml.extend([nn.Identity()])
        ml += [nn.Flatten()]
        ml.insert(1, nn.Linear(1, 1))
        log.append(repr(ml))
        log.append((repr(ml[-1]), repr(ml[1:3]), len(ml)))
        _err(log, lambda: ml[10])
        ml[0] = nn.Flatten()
        del ml[1]
        log.append(repr(ml.pop(-1)))
        log.append(repr(ml + nn.ModuleList([nn.Identity()])))
        _err(log, lambda: ml.extend(3))
        md = nn.ModuleDict({"b": nn.Identity(), "a": nn.Flatten()})
        md["c"] = nn.Linear(1, 1)
        md.update([("d", nn.Identity())])
        log.append((repr(md), list(md), list(md.keys()), "a" in md, len(md)))
        log.append(repr(md.pop("a")))
        del md["b"]
        log.append(list(md.items())[0][0])
        _err(log, lambda: md.update(3))
        _err(log, lambda: md.update([("x",)]))
        _err(log, lambda: md.update([3]))
        md.clear()
        log.append(len(md))
    _both(s)


def test_parameterlist_parameterdict():
    def s(lib, log):
        nn = lib.nn
        pl = nn.ParameterList([lib.ones(2), nn.Parameter(lib.zeros(3))])
        pl.append(lib.ones(1, requires_grad=False))
        log.append([type(p).__name__ for p in pl])
        log.append([n for n, _ in pl.named_parameters()])
        log.append(len(pl[0:2]))
        pl[0] = lib.full((2,), 3.0)
        log.append(pl[0])
        _err(log, lambda: pl[5])
        _err(log, lambda: pl.extend(lib.ones(2)))
        _err(log, lambda: pl(1))
        pd = nn.ParameterDict({"b": lib.ones(2), "a": lib.zeros(1)})
        log.append((list(pd), [n for n, _ in pd.named_parameters()]))
        pd.update(OrderedDict([("z", lib.ones(1)), ("c", lib.ones(1))]))
        log.append(list(pd.keys()))
        log.append(repr(pd.pop("z")))
        log.append((pd.get("nope", 5), "a" in pd, len(pd)))
        log.append(list(reversed(pd)))
        pd.setdefault("n", lib.ones(1))
        log.append(pd.popitem()[0])
        log.append(list((pd | nn.ParameterDict({"q": lib.ones(1)})).keys()))
        log.append(list(pd.fromkeys(["x", "y"], lib.ones(1)).keys()))
        _err(log, lambda: pd[1])
        _err(log, lambda: pd(1))
        pd.clear()
        log.append(len(pd))
    _both(s)


def test_flatten_unflatten():
    def s(lib, log):
        nn = lib.nn
        x = lib.arange(24.0).reshape(2, 3, 4)
        log.append(nn.Flatten()(x).shape)
        log.append(nn.Flatten(0, -1)(x).shape)
        log.append(nn.Unflatten(2, (2, 2))(x).shape)
        log.append(nn.Unflatten(-1, [2, -1])(x).shape)
        log.append((repr(nn.Flatten(0, 1)), repr(nn.Unflatten(1, [3, 1]))))
        _err(log, lambda: nn.Unflatten(1, (2, 2.0)))
        _err(log, lambda: nn.Unflatten(1, 4))
    _both(s)


# ------------------------------------------------------------------ forward hooks

def test_forward_hooks():
    def s(lib, log):
        nn = lib.nn
        m = nn.Linear(2, 2)
        calls = []

        def pre(mod, args):
            calls.append(("pre", type(mod).__name__, len(args)))

        def pre2(mod, args):
            calls.append("pre2")
            return args[0] * 2

        def pre_kw(mod, args, kwargs):
            calls.append(("prekw", sorted(kwargs)))
            return args, kwargs

        def fwd(mod, args, out):
            calls.append(("fwd", tuple(out.shape)))

        def fwd2(mod, args, out):
            calls.append("fwd2")
            return out + 1

        def fwd_kw(mod, args, kwargs, out):
            calls.append(("fwdkw", sorted(kwargs)))

        hs = [m.register_forward_pre_hook(pre), m.register_forward_pre_hook(pre2),
              m.register_forward_pre_hook(pre_kw, with_kwargs=True),
              m.register_forward_pre_hook(lambda mod, a: calls.append("first"), prepend=True),
              m.register_forward_hook(fwd), m.register_forward_hook(fwd2),
              m.register_forward_hook(fwd_kw, with_kwargs=True),
              m.register_forward_hook(lambda mod, a, o: calls.append("firstf"), prepend=True)]
        x = lib.ones(1, 2)
        log.append(m(x))
        log.append(calls[:])
        for h in hs[1::2]:
            h.remove()
        calls.clear()
        log.append(m(x))
        log.append(calls[:])
        with hs[0]:
            pass
        calls.clear()
        m(x)
        log.append(calls)
        log.append((len(m._forward_hooks), len(m._forward_pre_hooks),
                    len(m._forward_hooks_with_kwargs), len(m._forward_pre_hooks_with_kwargs)))

        # always_call hooks run when forward raises
        bad = nn.Linear(3, 2)
        got = []
        bad.register_forward_hook(lambda mod, a, o: got.append(("always", o)), always_call=True)
        bad.register_forward_hook(lambda mod, a, o: got.append("normal"))
        _err(log, lambda: bad(lib.ones(1, 2)))
        log.append(got)
        m2 = nn.Linear(2, 2)
        m2.register_forward_pre_hook(lambda mod, a, k: 3, with_kwargs=True)
        _err(log, lambda: m2(x))
    _both(s)


# ------------------------------------------------------------------ backward hooks

def test_full_backward_hooks():
    def s(lib, log):
        nn = lib.nn
        m = nn.Linear(3, 2)
        calls = []

        def bw(mod, gin, gout):
            calls.append(("bw", type(mod).__name__, [g for g in gin], [g for g in gout]))

        def bw_scale(mod, gin, gout):
            calls.append("bw2")
            return tuple(g * 10 if g is not None else None for g in gin)

        def bw_pre(mod, gout):
            calls.append(("pre", [g for g in gout]))
            return tuple(g * 2 for g in gout)

        m.register_full_backward_hook(bw)
        m.register_full_backward_hook(bw_scale)
        m.register_full_backward_pre_hook(bw_pre)
        x = lib.arange(6.0).reshape(2, 3).requires_grad_()
        out = m(x)
        log.append(out.grad_fn.name() if hasattr(out.grad_fn, "name") else None)
        (out * lib.tensor([1.0, 2.0])).sum().backward()
        log.append(calls)
        log.append(x.grad)
        log.append(m.weight.grad)
        _err(log, lambda: m.register_backward_hook(bw))
        # no input needs grad: hooks still fire (with a warning), grad_input is (None,)
        calls.clear()
        m(lib.ones(1, 3)).sum().backward()
        log.append(calls)
        # tuple inputs/outputs, non-tensor argument
        calls.clear()

        class Two(nn.Module):
            def forward(self, a, k, b):
                return a * k, b * 3

        t = Two()
        t.register_full_backward_hook(bw)
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2)
        o1, o2 = t(a, 2.0, b)
        o1.sum().backward()
        log.append(calls)
        log.append(a.grad)
    _both(s)


def test_backward_hook_errors():
    def s(lib, log):
        nn = lib.nn
        m = nn.Linear(2, 2)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        x = lib.ones(1, 2, requires_grad=True)
        _err(log, lambda: m(x).sum().backward())
        m2 = nn.Linear(2, 2)
        m2.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        _err(log, lambda: m2(x).sum().backward())
    _both(s)


def test_call_fast_path_and_forward_kwargs():
    def s(lib, log):
        nn = lib.nn

        class K(nn.Module):
            def forward(self, x, *, scale=1.0):
                return x * scale

        k = K()
        log.append(k(lib.ones(2), scale=3.0))
        k.register_forward_pre_hook(lambda mod, a, kw: (a, {"scale": 5.0}), with_kwargs=True)
        log.append(k(lib.ones(2), scale=3.0))
    _both(s)


def test_buffer_and_uninitialized():
    def s(lib, log):
        nn = lib.nn
        b = nn.Buffer(lib.ones(2), persistent=False)
        log.append((isinstance(b, nn.Buffer), isinstance(lib.ones(1), nn.Buffer),
                    type(b).__name__, b.persistent, b.requires_grad))
        m = nn.Module()
        m.a = nn.Buffer(lib.zeros(1))
        m.b = b
        m.b = lib.full((2,), 3.0)  # reassigning keeps it non-persistent
        log.append((list(m._buffers), sorted(m._non_persistent_buffers_set), list(m.state_dict())))
        _err(log, lambda: setattr(m, "a", 3))
        m.a = None
        log.append(list(m.state_dict()))
        p = nn.UninitializedParameter()
        log.append((repr(p), type(p).__name__, p.requires_grad))
        _err(log, lambda: p.shape)
        p.materialize((2, 3))
        log.append((type(p).__name__, tuple(p.shape), p.requires_grad))
        u = nn.UninitializedBuffer()
        log.append(repr(u))
        u.materialize((4,))
        log.append((type(u).__name__, tuple(u.shape)))
    _both(s)


def test_non_full_backward_hook_fires():
    # the deprecated hook fires on the output's grad_fn; its grad_input layout is torch's node's
    seen = []
    m = torchjax.nn.Linear(2, 2)
    m.register_backward_hook(lambda mod, gin, gout: seen.append((mod is m, len(gout))))
    m(torchjax.ones(1, 2, requires_grad=True)).sum().backward()
    assert seen == [(True, 1)]


def test_global_hooks():
    def s(lib, log):
        mm = lib.nn.modules.module
        calls = []
        hs = [mm.register_module_forward_pre_hook(
                  lambda m, a: calls.append(("gpre", type(m).__name__))),
              mm.register_module_forward_hook(
                  lambda m, a, o: calls.append(("gfwd", type(m).__name__))),
              mm.register_module_full_backward_hook(
                  lambda m, gi, go: calls.append(("gbw", type(m).__name__, len(gi)))),
              mm.register_module_full_backward_pre_hook(
                  lambda m, go: calls.append(("gbwpre", type(m).__name__))),
              mm.register_module_buffer_registration_hook(
                  lambda m, n, t: calls.append(("buf", n))),
              mm.register_module_parameter_registration_hook(
                  lambda m, n, p: calls.append(("param", n))),
              mm.register_module_module_registration_hook(lambda m, n, c: calls.append(("mod", n)))]
        try:
            _err(log, lambda: mm.register_module_backward_hook(lambda *a: None))
            seq = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Flatten())
            seq.register_buffer("b", lib.ones(1))
            seq(lib.ones(1, 2, requires_grad=True)).sum().backward()
        finally:
            for h in hs:
                h.remove()
        log.append(calls)
        n = len(calls)
        lib.nn.Linear(2, 2)(lib.ones(1, 2))
        log.append(len(calls) == n)
    _both(s)


def test_set_submodule_and_version():
    def s(lib, log):
        nn = lib.nn
        m = nn.Sequential(nn.Sequential(nn.Linear(1, 1)), nn.Identity())
        m.set_submodule("0.0", nn.Flatten())
        m.set_submodule("0.new", nn.Identity())
        log.append(repr(m))
        _err(log, lambda: m.set_submodule("", nn.Identity()))
        _err(log, lambda: m.set_submodule("1", 3))
        _err(log, lambda: m.set_submodule("0.zzz", nn.Identity(), strict=True))
        _err(log, lambda: m.set_submodule("x.y", nn.Identity()))
        lin = nn.Linear(1, 1)
        _err(log, lambda: lin.set_submodule("weight", nn.Identity()))
        log.append((nn.Module._version, nn.Linear._version, m.training, m.call_super_init,
                    m.dump_patches))
    _both(s)


def test_nn_utils_not_shadowed_by_modules_utils():
    import torchjax.nn as tnn
    from torchjax.nn.modules.utils import _pair, _triple
    assert tnn.utils.__name__ == "torchjax.nn.utils"
    assert callable(tnn.utils.clip_grad_norm_) and tnn.utils.rnn.pad_sequence
    assert _pair(3) == (3, 3) and _triple((1, 2, 3)) == (1, 2, 3)
