"""torch.autocast / torch.amp / GradScaler against real torch on CPU."""
import threading
import warnings

import numpy as np
import pytest
import torch

import torchjax
import torchjax.nn as tnn
import torchjax.nn.functional as TF
from torchjax._ops import registry
from torchjax.amp import autocast_mode as am

BF16_TOL = dict(atol=3e-2, rtol=3e-2)


def tj(t, grad=False):
    bf = t.dtype == torch.bfloat16
    r = torchjax.tensor((t.detach().float() if bf else t.detach()).numpy())
    r = r.bfloat16() if bf else r
    return r.requires_grad_() if grad else r


def to_np(t):
    return np.asarray(t.detach().float().numpy())


def close(a, b, **kw):
    assert str(a.dtype) == str(b.dtype), (a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(to_np(b), to_np(a), **(kw or BF16_TOL))


def copy_params(m, ours):
    ours.load_state_dict({k: torchjax.tensor(v.detach().numpy())
                          for k, v in m.state_dict().items()})


def outcome(f, *a, **kw):
    """(result or exception type+message, [(category, message)]) of a call, torch's C++ warning
    suffix "(Triggered internally at ...)" dropped."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            r = f(*a, **kw)
            r = str(r) if isinstance(r, (torch.dtype, torchjax.dtype)) else r
        except Exception as e:
            r = (type(e).__name__, str(e))
    ws = [(w.category.__name__, str(w.message).split(" (Triggered internally")[0]) for w in rec]
    return r, ws


def both(name, *a, mod=None):
    t = getattr(mod[0] if mod else torch, name)
    j = getattr(mod[1] if mod else torchjax, name)
    conv = lambda x: getattr(torchjax, str(x).split(".")[1]) if isinstance(x, torch.dtype) else x
    return outcome(t, *a), outcome(j, *[conv(x) for x in a])


# ---------------------------------------------------------------- a model, forward + backward

def net(nn):
    return nn.ModuleDict(dict(
        conv=nn.Conv2d(2, 3, 3), lin=nn.Linear(16, 8), lstm=nn.LSTM(8, 8, batch_first=True),
        mha=nn.MultiheadAttention(8, 2, batch_first=True), ln=nn.LayerNorm(8),
        head=nn.Linear(8, 5)))


def forward(m, F, x, target):
    out = {}
    out["conv"] = h = m["conv"](x)
    out["lin"] = h = m["lin"](h.flatten(2))
    out["lstm"] = h = m["lstm"](h)[0]
    out["mha"], out["mha_w"] = m["mha"](h, h, h)
    out["ln"] = h = m["ln"](out["mha"] + h)
    out["softmax"] = p = F.softmax(h, -1)
    out["logits"] = logits = m["head"](h).mean(1)
    out["ce"] = F.cross_entropy(logits, target)
    out["mse"] = F.mse_loss(p, p.detach() * 0)
    out["loss"] = out["ce"] + out["mse"]
    return out


def test_model_forward_backward_matches_torch():
    torch.manual_seed(0)
    m, ours = net(torch.nn), net(tnn)
    copy_params(m, ours)
    x = torch.randn(2, 2, 6, 6)
    target = torch.tensor([1, 3])
    with torch.autocast("cpu"):
        ot = forward(m, torch.nn.functional, x, target)
    with torchjax.autocast("cpu"):
        oj = forward(ours, TF, tj(x), tj(target))
    for k in ot:
        close(ot[k], oj[k])
    assert type(oj["ce"].grad_fn).__name__ == type(ot["ce"].grad_fn).__name__
    ot["loss"].backward()
    oj["loss"].backward()
    gt, gj = dict(m.named_parameters()), dict(ours.named_parameters())
    assert list(gt) == list(gj)
    for k in gt:
        close(gt[k].grad, gj[k].grad, atol=5e-2, rtol=5e-2)
    assert registry.AUTOCAST[0] is None


# ---------------------------------------------------------------- op policies (CPU table)

def _ops(lib, F):
    r = lib.randn
    return {
        "mm": lambda: lib.mm(r(3, 4), r(4, 2)),
        "mm_half": lambda: lib.mm(r(3, 4).half(), r(4, 2)),
        "mm_double": lambda: lib.mm(r(3, 4).double(), r(4, 2).double()),
        "bmm": lambda: lib.bmm(r(2, 3, 4), r(2, 4, 2)),
        "matmul": lambda: lib.matmul(r(2, 3, 4), r(4, 2)),
        "einsum_mm": lambda: lib.einsum("ij,jk->ik", r(3, 4), r(4, 2)),
        "einsum_dot": lambda: lib.einsum("i,i", r(4), r(4)),
        "einsum_outer": lambda: lib.einsum("i,j->ij", r(4), r(3)),
        "einsum_t": lambda: lib.einsum("ij->ji", r(4, 3)),
        "matmul_mv": lambda: lib.matmul(r(3, 4), r(4)),
        "matmul_dot": lambda: r(4) @ r(4),
        "rmatmul_vm": lambda: r(4) @ r(4, 2),
        "tensordot_1x1": lambda: lib.tensordot(r(1, 5), r(5, 1), 1),
        "tensordot_mm": lambda: lib.tensordot(r(3, 2), r(2, 1), 1),
        "inner_1d": lambda: lib.inner(r(5), r(5)),
        "matrix_power_1": lambda: lib.linalg.matrix_power(r(2, 2), 1),
        "matrix_power_3": lambda: lib.linalg.matrix_power(r(2, 2), 3),
        "max_pool3d": lambda: F.max_pool3d(r(1, 1, 2, 2, 2).bfloat16(), 2),
        "max_pool3d_idx": lambda: F.max_pool3d(r(1, 1, 2, 2, 2).bfloat16(), 2,
                                               return_indices=True)[0],
        "mha_dropout": lambda: F.multi_head_attention_forward(
            r(3, 2), r(3, 2), r(3, 2), 2, 1, r(6, 2), r(6), None, None, False, 0.5, r(2, 2), r(2),
            training=True)[0],
        "mv": lambda: lib.mv(r(3, 4), r(4)),
        "group_norm_bf16": lambda: F.group_norm(r(2, 4).bfloat16(), 2),
        "conv1d": lambda: F.conv1d(r(1, 2, 5), r(3, 2, 2)),
        "sdpa": lambda: F.scaled_dot_product_attention(r(1, 2, 3, 4), r(1, 2, 3, 4), r(1, 2, 3, 4)),
        "exp_bf16": lambda: lib.exp(r(3).bfloat16()),
        "sum_bf16": lambda: lib.sum(r(3).bfloat16()),
        "softmax_bf16": lambda: F.softmax(r(3).bfloat16(), 0),
        "prod_bf16": lambda: lib.prod(r(3).bfloat16()),
        "mse_bf16": lambda: F.mse_loss(r(3).bfloat16(), r(3).bfloat16()),
        "pad_reflect": lambda: F.pad(r(1, 2, 4).bfloat16(), (1, 1), mode="reflect"),
        "pad_const": lambda: F.pad(r(1, 2, 4).bfloat16(), (1, 1)),
        "cat_mixed": lambda: lib.cat([r(2).bfloat16(), r(2)]),
        "rfft_bf16": lambda: lib.fft.rfft(r(4).bfloat16()),
        "layer_norm": lambda: F.layer_norm(r(2, 3), (3,)),
        "gru": lambda: getattr(lib.nn, "GRU")(3, 2)(r(2, 1, 3))[0],
        "rnn": lambda: getattr(lib.nn, "RNN")(3, 2)(r(2, 1, 3))[0],
        "lstm_cell": lambda: getattr(lib.nn, "LSTMCell")(3, 2)(r(1, 3))[0],
        "rnn_cell": lambda: getattr(lib.nn, "RNNCell")(3, 2)(r(1, 3)),
        "embedding": lambda: F.embedding(lib.tensor([0, 1]), r(3, 2)),
        "bce_bf16": lambda: F.binary_cross_entropy(lib.rand(3).bfloat16(), lib.rand(3).bfloat16()),
    }


@pytest.mark.parametrize("name", sorted(_ops(torch, torch.nn.functional)))
def test_cpu_policy_dtypes(name):
    torch.manual_seed(0)
    with torch.autocast("cpu"):
        want = _ops(torch, torch.nn.functional)[name]()
    torchjax.manual_seed(0)
    with torchjax.autocast("cpu"):
        got = _ops(torchjax, TF)[name]()
    assert str(got.dtype) == str(want.dtype)


def test_cuda_policy_mechanics(monkeypatch):
    """The CUDA table's policies (no GPU here: tensors are made to look like CUDA ones). Expected
    dtypes are torch's documented CUDA autocast behaviour (autocast_mode.h lists)."""
    monkeypatch.setattr(am, "_tensor_device", lambda t: "cuda")
    r = torchjax.randn
    h, f = r(3, 3).half(), r(3, 3)
    torchjax.set_autocast_enabled("cuda", True)
    try:
        assert torchjax.mm(f, f).dtype is torchjax.float16  # lower_precision_fp
        assert torchjax.exp(h).dtype is torchjax.float32  # fp32
        assert TF.layer_norm(h, (3,)).dtype is torchjax.float32
        assert TF.softmax(h, 0).dtype is torchjax.float32  # fp32_set_opt_dtype
        assert TF.softmax(h, 0, dtype=torchjax.float16).dtype is torchjax.float16
        assert torchjax.sum(h).dtype is torchjax.float32
        assert torchjax.addcmul(h, h, h).dtype is torchjax.float16  # promote
        assert torchjax.addcmul(h, h, f).dtype is torchjax.float32
        assert torchjax.atan2(h, h.bfloat16()).dtype is torchjax.float32  # promote(f16, bf16)
        assert torchjax.mm(f.double(), f.double()).dtype is torchjax.float64  # not eligible
        assert TF.cross_entropy(h, torchjax.tensor([0, 1, 2])).dtype is torchjax.float32
        with pytest.raises(RuntimeError, match="binary_cross_entropy and torch.nn.BCELoss are "
                                               "unsafe to autocast"):
            TF.binary_cross_entropy(torchjax.rand(3), torchjax.rand(3))
        with torchjax.autocast("cpu"):  # CPU autocast does not touch "CUDA" tensors
            assert torchjax.is_autocast_enabled("cuda")
    finally:
        torchjax.set_autocast_enabled("cuda", False)
    assert registry.AUTOCAST[0] is None
    assert torchjax.mm(f, f).dtype is torchjax.float32


# ---------------------------------------------------------------- regions, cache, threads

def test_nested_regions_and_decorator():
    a, b = torchjax.randn(3, 3), torchjax.randn(3, 3)
    assert registry.AUTOCAST[0] is None
    with torchjax.autocast("cpu"):
        assert registry.AUTOCAST[0] is not None
        assert torchjax.mm(a, b).dtype is torchjax.bfloat16
        assert torchjax.autocast_increment_nesting() == 2
        assert torchjax.autocast_decrement_nesting() == 1
        with torchjax.autocast("cpu", enabled=False):
            assert not torchjax.is_autocast_enabled("cpu")
            assert torchjax.mm(a, b).dtype is torchjax.float32
            with torchjax.autocast("cpu", dtype=torchjax.float16):
                assert torchjax.mm(a, b).dtype is torchjax.float16
                assert torchjax.get_autocast_dtype("cpu") is torchjax.float16
            assert registry.AUTOCAST[0] is None
        assert torchjax.get_autocast_dtype("cpu") is torchjax.bfloat16
        assert torchjax.mm(a, b).dtype is torchjax.bfloat16
    assert not torchjax.is_autocast_enabled("cpu") and registry.AUTOCAST[0] is None

    @torchjax.autocast("cpu")
    def f(x):
        assert torchjax.is_autocast_enabled("cpu")
        return torchjax.mm(x, x)
    assert f(a).dtype is torchjax.bfloat16 and not torchjax.is_autocast_enabled("cpu")
    # the same errors as torch for a non-callable
    assert outcome(torchjax.autocast("cpu"), 3) == outcome(torch.autocast("cpu"), 3)


def test_inplace_and_out_ops_not_autocast():
    for lib in (torch, torchjax):
        lib.manual_seed(0)
        a, b, x = lib.randn(3, 3), lib.randn(3, 3), lib.randn(3, 3)
        ref = lib.mm(a, b)
        with lib.autocast("cpu"):
            y = x.clone().addmm_(a, b)
            o = lib.empty(3, 3)
            lib.mm(a, b, out=o)
            assert str(lib.mm(a, b).dtype) == "torch.bfloat16"
        assert str(y.dtype) == "torch.float32"
        np.testing.assert_allclose(to_np(y), to_np(x.clone().addmm_(a, b)), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(to_np(o), to_np(ref), rtol=1e-6, atol=1e-6)


def test_weight_cache(monkeypatch):
    lin = tnn.Linear(3, 3)
    x = torchjax.randn(2, 3)
    calls = []
    to_dtype = torchjax.Tensor._to_dtype

    def counting(self, dt):  # every autocast cast goes through Tensor._to_dtype (a _to_copy op)
        calls.append(self)
        return to_dtype(self, dt)
    with torchjax.autocast("cpu"):
        monkeypatch.setattr(torchjax.Tensor, "_to_dtype", counting)
        y1, y2 = lin(x), lin(x)
        # the weight and bias are cast once per region; the input (no grad) each time
        assert sum(t is lin.weight for t in calls) == 1
        assert sum(t is lin.bias for t in calls) == 1
        assert sum(t is x for t in calls) == 2
        with torchjax.autocast("cpu", cache_enabled=False):
            lin(x)
        assert sum(t is lin.weight for t in calls) == 2
        assert len(am._S.cache) == 2
        monkeypatch.undo()
    assert len(am._S.cache) == 0  # cleared when the outermost region exits
    assert "ToCopyBackward0" in [type(n).__name__ for n, _ in y1.grad_fn.next_functions if n]
    (y1.float().sum() + y2.float().sum()).backward()
    assert lin.weight.grad.dtype is torchjax.float32
    with torchjax.autocast("cpu"):  # casts of a no-grad or non-leaf tensor are not cached
        torchjax.mm(x, x.t())
        assert len(am._S.cache) == 0


def test_thread_local_state():
    out = {}

    def worker(lib):
        out[lib.__name__] = (lib.is_autocast_enabled("cpu"), lib.get_autocast_dtype("cpu"),
                             lib.is_autocast_cache_enabled(),
                             str(lib.mm(lib.ones(2, 2), lib.ones(2, 2)).dtype))
    for lib in (torch, torchjax):
        with lib.autocast("cpu", dtype=lib.float16, cache_enabled=False):
            t = threading.Thread(target=worker, args=(lib,))
            t.start()
            t.join()
            assert str(lib.mm(lib.ones(2, 2), lib.ones(2, 2)).dtype) == "torch.float16"
    assert str(out["torch"]) == str(out["torchjax"])


# ---------------------------------------------------------------- state functions, warnings

STATE_CALLS = [
    ("is_autocast_enabled",), ("is_autocast_enabled", "cpu"), ("is_autocast_enabled", "cuda:0"),
    ("is_autocast_enabled", "foo"), ("is_autocast_enabled", None), ("is_autocast_enabled", "meta"),
    ("get_autocast_dtype", "cpu"), ("get_autocast_dtype", "cuda"), ("get_autocast_dtype", "xla"),
    ("get_autocast_dtype", "meta"), ("get_autocast_dtype", "hip"), ("get_autocast_dtype",),
    ("set_autocast_enabled", "cpu", 1), ("set_autocast_enabled",),
    ("set_autocast_enabled", "foo", True),
    ("set_autocast_dtype", "cpu", "x"), ("set_autocast_cache_enabled", 1),
    ("is_autocast_cache_enabled",), ("is_autocast_cpu_enabled",), ("get_autocast_cpu_dtype",),
    ("get_autocast_gpu_dtype",), ("is_autocast_ipu_enabled",), ("is_autocast_xla_enabled",),
    ("get_autocast_ipu_dtype",), ("get_autocast_xla_dtype",), ("set_autocast_cpu_enabled", 1),
    ("set_autocast_cpu_enabled", False), ("set_autocast_cpu_dtype", "x"),
    ("set_autocast_cpu_dtype", torch.bfloat16), ("set_autocast_gpu_dtype", torch.float16),
    ("set_autocast_ipu_enabled", False), ("set_autocast_xla_enabled", False),
    ("set_autocast_ipu_dtype", torch.float16), ("set_autocast_xla_dtype", torch.bfloat16),
    ("clear_autocast_cache",),
]


@pytest.mark.parametrize("call", STATE_CALLS, ids=lambda c: "-".join(map(str, c)))
def test_state_functions(call):
    t, j = both(*call)
    assert t == j


def test_state_setters_and_availability():
    for lib in (torch, torchjax):
        lib.set_autocast_enabled("cpu", True)
        assert lib.is_autocast_enabled("cpu") and not lib.is_autocast_enabled()
        lib.set_autocast_enabled("cpu", False)
        lib.set_autocast_enabled(True)  # the one-argument form is CUDA's
        assert lib.is_autocast_enabled() and lib.is_autocast_enabled("cuda")
        lib.set_autocast_enabled(False)
        lib.set_autocast_dtype("cpu", lib.float16)
        assert lib.get_autocast_dtype("cpu") == lib.float16
        lib.set_autocast_dtype("cpu", lib.bfloat16)
        assert [lib.autocast_increment_nesting(), lib.autocast_decrement_nesting(),
                lib.autocast_decrement_nesting(), lib.autocast_increment_nesting()] == [1, 0, -1, 0]
    assert registry.AUTOCAST[0] is None
    for d in ("cpu", "cuda", "xpu", "mps", "meta", "lazy", "hpu", "foo", "cuda:1"):
        assert outcome(torchjax.amp.is_autocast_available, d) == \
            outcome(torch.amp.is_autocast_available, d)


@pytest.mark.parametrize("args", [("foo",), ("meta",), ("cuda", torch.float32, False),
                                  ("cpu", torch.float32), ("cpu", torch.float16),
                                  (1,), ("mps",), ("cpu", torch.float64, False)])
def test_autocast_construction_errors(args):
    conv = [getattr(torchjax, str(a).split(".")[1]) if isinstance(a, torch.dtype) else a
            for a in args]
    t = outcome(lambda: torch.autocast(*args)._enabled)
    j = outcome(lambda: torchjax.autocast(*conv)._enabled)
    assert t == j


def test_cuda_autocast_without_cuda_disables():
    if torchjax.cuda.is_available():
        pytest.skip("JAX has an accelerator here")
    t = outcome(lambda: torch.autocast("cuda")._enabled)
    assert outcome(lambda: torchjax.autocast("cuda")._enabled) == t
    assert t[0] is False and "CUDA is not available" in t[1][0][1]


@pytest.mark.parametrize("path", ["cuda.amp.autocast", "cpu.amp.autocast", "cuda.amp.GradScaler",
                                  "cpu.amp.GradScaler", "amp.GradScaler"])
def test_deprecated_wrappers(path):
    if "cuda" in path or path == "amp.GradScaler":
        if torchjax.cuda.is_available():
            pytest.skip("JAX has an accelerator here")
    def make(lib):
        obj = lib
        for p in path.split("."):
            obj = getattr(obj, p)
        r = obj()
        return (r._enabled, str(getattr(r, "fast_dtype", None)))
    assert outcome(make, torchjax) == outcome(make, torch)


def test_custom_fwd_bwd():
    seen = {}

    def fn(lib):
        class Mul(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
            def forward(ctx, a, b):
                seen[lib.__name__, "fwd"] = (str(a.dtype), lib.is_autocast_enabled("cpu"))
                ctx.save_for_backward(a, b)
                return lib.mm(a, b)

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                seen[lib.__name__, "bwd"] = lib.is_autocast_enabled("cpu")
                return g.mm(b.t()), a.t().mm(g)

        a = lib.ones(2, 2, requires_grad=True)
        with lib.autocast("cpu"):
            out = Mul.apply(a.bfloat16(), lib.ones(2, 2))
        out.sum().backward()
        return str(out.dtype), str(a.grad.dtype)
    assert fn(torchjax) == fn(torch)
    assert seen["torchjax", "fwd"] == seen["torch", "fwd"] == ("torch.float32", False)
    assert seen["torchjax", "bwd"] == seen["torch", "bwd"]
    r = [outcome(lib.amp.custom_fwd, device_type=1) for lib in (torch, torchjax)]
    assert r[0] == r[1]
    r = [outcome(lib.cuda.amp.custom_fwd, lambda ctx, x: x) for lib in (torch, torchjax)]
    assert r[0][1] == r[1][1]


# ---------------------------------------------------------------- GradScaler

def _train(lib, scaler_steps=8):
    """A model whose scaled loss overflows float32 at the initial scale 2**127: steps are skipped
    and the scale backs off, then (growth_interval 2) grows."""
    lib.manual_seed(0)
    m = lib.nn.Linear(4, 3)
    opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", init_scale=2.0**127, growth_interval=2)
    x = lib.linspace(-2.0, 2.0, 8).reshape(2, 4) * 4.0
    hist = []
    for i in range(scaler_steps):
        opt.zero_grad()
        with lib.autocast("cpu"):
            loss = (m(x).float() ** 2).mean()
        scaler.scale(loss).backward()
        if i == 3:
            scaler.unscale_(opt)
            lib.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
        hist.append((scaler.get_scale(), scaler._get_growth_tracker(),
                     [to_np(p).copy() for p in m.parameters()]))
    return hist, scaler


def test_grad_scaler_trajectory():
    ht, st = _train(torch)
    hj, sj = _train(torchjax)
    assert [h[:2] for h in hj] == [h[:2] for h in ht]
    assert len({h[0] for h in ht}) > 3 and any(h[1] == 1 for h in ht)  # skipped, stepped, grew
    for a, b in zip(ht, hj):
        for p, q in zip(a[2], b[2]):
            np.testing.assert_allclose(q, p, rtol=1e-5, atol=1e-6)
    assert sj.state_dict() == st.state_dict()


def test_grad_scaler_errors_and_state():
    for lib in (torch, torchjax):
        m = lib.nn.Linear(2, 1)
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        s = lib.amp.GradScaler("cpu", init_scale=4.0)
        assert s.get_scale() == 4.0 and s.is_enabled() and s.get_growth_factor() == 2.0
        with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
            s.step(opt)
        s.scale(m(lib.ones(1, 2)).sum()).backward()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this "
                                               r"optimizer since the last update\(\)\."):
            s.unscale_(opt)
        s.step(opt)
        with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last"):
            s.step(opt)
        with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step\(\)\."):
            s.unscale_(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            s.step(opt, closure=None)
        s.update(new_scale=8.0)
        assert s.get_scale() == 8.0
        s.update(lib.tensor(16.0))
        assert s.state_dict() == {"scale": 16.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                  "growth_interval": 2000, "_growth_tracker": 0}
        s2 = lib.amp.GradScaler("cpu")
        s2.load_state_dict(s.state_dict())
        assert s2.get_scale() == 16.0
        with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
            lib.amp.GradScaler("cpu", growth_factor=1.0)
        with pytest.raises(RuntimeError, match="The source state dict is empty"):
            s2.load_state_dict({})
        h = lib.nn.Linear(2, 1).half()
        hopt = lib.optim.SGD(h.parameters(), lr=0.1)
        s.scale(h(lib.ones(1, 2).half()).sum()).backward()
        with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
            s.unscale_(hopt)
        off = lib.amp.GradScaler("cpu", enabled=False)
        assert off.state_dict() == {} and off.get_scale() == 1.0
        x = lib.ones(2)
        assert off.scale(x) is x
