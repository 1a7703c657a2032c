"""torch.* switches and predicates, legacy constructors and Tensor methods without array math
(pin/share memory, apply_/map_, post-accumulate-grad hooks, fill_diagonal_, dim_order, DLPack,
frombuffer, empty_permuted, anomaly mode): results, warnings and errors compared with torch."""
import array
import warnings

import numpy as np
import pytest
import torch

import torchjax as tj


def norm(r):
    """A comparable form of a result (tensors by dtype, shape, strides and values)."""
    if hasattr(r, "detach") and hasattr(r, "dtype"):
        d = r.detach()
        vals = d.float().tolist() if str(d.dtype) == "torch.bfloat16" else d.tolist()
        vals = str(vals)  # NaN-safe
        return ("T", str(r.dtype), tuple(r.shape), tuple(r.stride()), vals, r.requires_grad)
    if isinstance(r, (tuple, list)):
        return type(r).__name__, [norm(x) for x in r]
    if type(r).__name__ in ("dtype", "device", "Size"):
        return str(r)
    return r


def outcome(lib, fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            res = ("ok", repr(norm(fn(lib))))
        except Exception as e:  # noqa: BLE001  (compared with torch's)
            res = ("err", type(e).__name__, str(e))
    return res, [(x.category.__name__, str(x.message)) for x in w
                 if not str(x.message).startswith("Error detected in")]  # anomaly tracebacks


def check(fn):
    expect = outcome(torch, fn)
    assert outcome(tj, fn) == expect
    return expect


def x23(t, **kw):
    return t.arange(6.).reshape(2, 3).requires_grad_(kw.get("rg", False))


# ---------------------------------------------------------------- predicates and small functions

CASES = {
    "is_inference": lambda t: t.is_inference(x23(t)),
    "is_inference_bad": lambda t: t.is_inference(3),
    "is_inference_mode": lambda t: t.inference_mode()(lambda: t.is_inference(t.ones(2)))(),
    "is_signed": lambda t: [t.is_signed(t.zeros(1, dtype=getattr(t, d))) for d in
                            ("bool", "uint8", "int8", "int64", "float16", "bfloat16",
                             "complex64", "uint16")],
    "is_signed_bad": lambda t: t.is_signed(3),
    "is_same_size": lambda t: (t.is_same_size(x23(t), x23(t).t()), t.is_same_size(x23(t), x23(t)),
                               x23(t).is_same_size(x23(t) + 1)),
    "is_same_size_bad": lambda t: t.is_same_size(x23(t), 3),
    "is_same_size_method_bad": lambda t: x23(t).is_same_size(3),
    "get_device": lambda t: (t.get_device(x23(t)), x23(t).get_device()),
    "get_device_bad": lambda t: t.get_device(3),
    "detach": lambda t: t.detach(x23(t, rg=True)),
    "detach_bad": lambda t: t.detach(3),
    "fill": lambda t: t.fill(x23(t), 2),
    "fill_tensor": lambda t: t.fill(x23(t), t.tensor(3)),
    "fill_1d_value": lambda t: t.fill(x23(t), t.tensor([3, 4])),
    "fill_int_trunc": lambda t: t.fill(t.zeros(2, dtype=t.int64), 2.7),
    "fill_bool_value": lambda t: t.fill(t.zeros(2, dtype=t.int64), True),
    "fill_complex_into_float": lambda t: t.fill(t.zeros(2), 1 + 1j),
    "fill_uint8_overflow": lambda t: t.fill(t.zeros(2, dtype=t.uint8), 300),
    "fill_uint8_negative": lambda t: t.fill(t.zeros(2, dtype=t.uint8), -1),
    "fill_f16_overflow": lambda t: t.fill(t.zeros(2, dtype=t.float16), 70000.),
    "fill_bf16_overflow": lambda t: t.fill(t.zeros(2, dtype=t.bfloat16), 1e300),
    "fill_f16_complex": lambda t: t.fill(t.zeros(2, dtype=t.float16), 1 + 1j),
    "fill_uint8_neg_float": lambda t: t.fill(t.zeros(2, dtype=t.uint8), -1.0),
    "fill_uint8_neg_255": lambda t: t.fill(t.zeros(2, dtype=t.uint8), -255),
    "fill_f64_huge": lambda t: t.fill(t.zeros(2, dtype=t.float64), 1e300),
    "fill_f64_exact": lambda t: t.fill_(t.zeros(2, dtype=t.float64), 0.1),
    "fill_complex": lambda t: t.fill(t.zeros(2, dtype=t.complex128), 0.1 + 2j),
    "fill_missing": lambda t: t.fill(x23(t)),
    "fill_kw": lambda t: t.fill(input=x23(t), value=2),
    "fill_grad_fn": lambda t: type(t.fill(t.zeros(2, requires_grad=True), 3).grad_fn).__name__,
    "fill_": lambda t: t.fill_(t.zeros(2), 5),
    "zero_": lambda t: t.zero_(t.ones(2)),
    "zero_bad": lambda t: t.zero_(3),
    "no_Tensor_fill": lambda t: hasattr(x23(t), "fill"),
    "scalar_tensor": lambda t: [t.scalar_tensor(3), t.scalar_tensor(True),
                                t.scalar_tensor(2.5, dtype=t.int32), t.scalar_tensor(t.tensor(2)),
                                t.scalar_tensor(2, requires_grad=True),
                                t.scalar_tensor(-255, dtype=t.uint8),
                                t.scalar_tensor(70000., dtype=t.float16),
                                t.scalar_tensor(1 + 0j), t.scalar_tensor(1 + 1j, dtype=t.complex64),
                                t.scalar_tensor(np.float32(2.5), dtype=t.float64)],
    "scalar_tensor_complex": lambda t: t.scalar_tensor(1 + 2j),
    "scalar_tensor_complex_f16": lambda t: t.scalar_tensor(1 + 2j, dtype=t.float16),
    "scalar_tensor_bf16_inf": lambda t: t.scalar_tensor(1e300, dtype=t.bfloat16),
    "scalar_tensor_uint8_neg_float": lambda t: t.scalar_tensor(-1.0, dtype=t.uint8),
    "scalar_tensor_list": lambda t: t.scalar_tensor([1]),
    "scalar_tensor_1d": lambda t: t.scalar_tensor(t.tensor([2, 3])),
    "scalar_tensor_int_overflow": lambda t: t.scalar_tensor(128, dtype=t.int8),
    "scalar_tensor_uint_overflow": lambda t: t.scalar_tensor(-256, dtype=t.uint8),
    "scalar_tensor_big_int": lambda t: t.scalar_tensor(2 ** 64),
    "scalar_tensor_int64_2_63": lambda t: t.scalar_tensor(2 ** 63, dtype=t.int64),
    "scalar_tensor_f32_overflow": lambda t: t.scalar_tensor(1e300, dtype=t.float32),
    "scalar_tensor_nan_int": lambda t: t.scalar_tensor(float("nan"), dtype=t.int32),
    "scalar_tensor_grad_int": lambda t: t.scalar_tensor(2, requires_grad=True, dtype=t.int64),
    "typename": lambda t: [t.typename(x23(t)), t.typename(t.zeros(1, dtype=t.int64)),
                           t.typename(t.zeros(1, dtype=t.bfloat16)),
                           t.typename(t.zeros(1, dtype=t.complex64)),
                           t.typename(t.zeros(1, dtype=t.uint16)), t.typename(3),
                           t.typename(int), t.typename(t.float32), t.typename(t.Size([1])),
                           t.typename(t.nn.Linear(1, 1)),
                           t.typename(t.nn.Parameter(t.zeros(1))), t.typename(t.Tensor),
                           t.typename(t.device("cpu")), t.typename(t.nn.Linear)],
    "flush_denormal": lambda t: (t.set_flush_denormal(True), t.set_flush_denormal(False)),
    "flush_denormal_bad": lambda t: t.set_flush_denormal(1),
    "warn_always_bad": lambda t: t.set_warn_always(1),
    "flags": lambda t: [getattr(x23(t), n) for n in (
        "is_mps", "is_xpu", "is_mtia", "is_ipu", "is_maia", "is_vulkan", "is_xla", "is_nested",
        "is_mkldnn", "is_sparse_csr", "is_sparse", "is_quantized", "is_meta", "is_cpu", "is_cuda")],
    "resolve": lambda t: (x23(t).resolve_conj().tolist(), x23(t).resolve_neg().tolist(),
                          t.resolve_conj(x23(t)).tolist(),
                          t.tensor([1 + 2j]).conj().resolve_conj().tolist()),
    "const_data_ptr": lambda t: (lambda x: x[1].const_data_ptr() - x.data_ptr())(x23(t)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name):
    check(CASES[name])


def test_resolve_is_self_and_output_nr():
    for t in (torch, tj):
        x = x23(t)
        assert x.resolve_conj() is x and x.resolve_neg() is x and t.resolve_conj(x) is x
        a = t.randn(3, requires_grad=True)
        assert a.output_nr == 0 and (a * 2).output_nr == 0
        q = t.linalg.qr(t.randn(3, 3, requires_grad=True))
        assert [v.output_nr for v in q] == [0, 1]
        assert [v.output_nr for v in t.max(a.reshape(1, 3), 1)] == [0, 0]
        assert [v.output_nr for v in t.randn(3).split(1)] == [0, 0, 0]


def test_flags_read_only():
    with pytest.raises(AttributeError):
        x23(tj).is_mps = True


# ---------------------------------------------------------------- is_nonzero

@pytest.mark.parametrize("data", [[1.], 0, [], [1, 2], [[]], float("nan"), 1j])
def test_is_nonzero(data):
    check(lambda t: t.tensor(data).is_nonzero())
    check(lambda t: t.is_nonzero(t.tensor(data)))


# ---------------------------------------------------------------- matmul precision

def _precision_state(t):
    def get(f):
        try:
            return f()
        except RuntimeError as e:
            return ("err", str(e))
    b = t.backends
    return (get(t.get_float32_matmul_precision), get(lambda: b.cuda.matmul.allow_tf32),
            b.cuda.matmul.fp32_precision, b.cudnn.allow_tf32)


def _reset_precision(t):
    t.set_float32_matmul_precision("highest")
    t.backends.cuda.matmul.fp32_precision = "none"
    if t is tj:
        t.backends.cuda.FP32["mkldnn"] = "none"
    else:
        t.backends.mkldnn.matmul.fp32_precision = "none"


@pytest.mark.parametrize("steps", [
    ["p:high"], ["p:medium"], ["p:highest"], ["p:low"], ["p:3"], ["tf32:True"], ["tf32:False"],
    ["new:tf32"], ["new:ieee"], ["new:bf16"], ["new:xx"], ["p:high", "new:ieee"],
    ["p:medium", "tf32:True"], ["p:medium", "tf32:False"], ["p:high", "tf32:False"],
    ["tf32:True", "tf32:False"],
])
def test_matmul_precision(steps):
    def run(t):
        out = []
        for s in steps:
            k, v = s.split(":")
            try:
                if k == "p":
                    out.append(t.set_float32_matmul_precision(int(v) if v.isdigit() else v))
                elif k == "tf32":
                    t.backends.cuda.matmul.allow_tf32 = v == "True"
                else:
                    t.backends.cuda.matmul.fp32_precision = v
            except RuntimeError as e:
                out.append(str(e))
            out.append(_precision_state(t))
        return out
    try:
        check(run)
    finally:
        _reset_precision(torch)
        _reset_precision(tj)


def test_matmul_precision_sets_jax():
    import jax
    try:
        tj.set_float32_matmul_precision("high")
        assert jax.config.jax_default_matmul_precision == "high"
        tj.set_float32_matmul_precision("medium")
        assert jax.config.jax_default_matmul_precision == "default"
        tj.set_float32_matmul_precision("highest")  # None on CPU: XLA's CPU dots are float32
        assert jax.config.jax_default_matmul_precision == (
            None if jax.default_backend() == "cpu" else "highest")
        a = tj.randn(64, 64)
        ref = a.double().numpy() @ a.double().numpy()  # float32 accuracy, not TF32/bfloat16
        np.testing.assert_allclose((a @ a).numpy(), ref, rtol=1e-5, atol=1e-5)
    finally:
        _reset_precision(tj)


# ---------------------------------------------------------------- default device / tensor type

@pytest.mark.parametrize("dev", [None, "cpu", "cuda", "cpu:0", 3, "foo"])
def test_default_device(dev):
    def run(t):
        try:
            out = [t.set_default_device(dev), t.get_default_device(), t.zeros(2).device,
                   t.tensor([1.]).device, t.randn(2).device, t.arange(3).device]
            return out
        finally:
            t.set_default_device(None)
    check(run)
    check(lambda t: t.get_default_device())


def test_factories_use_default_device():
    """'meta' has no JAX device: factories that honour the default device say so."""
    tj.set_default_device("meta")
    try:
        for make in (lambda: tj.zeros(2), lambda: tj.tensor([1.]), lambda: tj.randn(2),
                     lambda: tj.arange(3), lambda: tj.scalar_tensor(1)):
            with pytest.raises(RuntimeError, match="does not support device type 'meta'"):
                make()
        assert tj.zeros(2, device="cpu").device.type == "cpu"
    finally:
        tj.set_default_device(None)
    assert tj.zeros(2).device == tj.get_default_device()


def test_set_default_tensor_type():
    def run(t):
        out = []
        for arg in (t.DoubleTensor, "torch.FloatTensor", t.LongTensor, "torch.cuda.FloatTensor",
                    t.float64, t.HalfTensor, "torch.float32", t.Tensor, 3, "torch.DoubleTensor",
                    "torch.zzz"):
            try:
                out.append(t.set_default_tensor_type(arg))
            except Exception as e:  # noqa: BLE001
                out.append((type(e).__name__, str(e)))
            out.append((str(t.get_default_dtype()), str(t.zeros(1).dtype)))
        return out
    for t in (torch, tj):
        t.set_warn_always(True)
    try:
        check(run)
    finally:
        for t in (torch, tj):
            t.set_warn_always(False)
            t.set_default_dtype(t.float32)


def test_warn_always():
    check(lambda t: (t.is_warn_always_enabled(), t.set_warn_always(True),
                     t.is_warn_always_enabled(), t.set_warn_always(False),
                     t.is_warn_always_enabled()))


# ---------------------------------------------------------------- anomaly mode

def _anomaly(body, check_nan=True):
    def run(t):
        try:
            with t.autograd.detect_anomaly(check_nan=check_nan):
                return body(t)
        finally:
            t.set_anomaly_enabled(False)
    return run


ANOMALY = {
    "div": lambda t: (lambda a: ((a / a).sum().backward(), a.grad))(
        t.tensor([0., 1.], requires_grad=True)),
    "sqrt": lambda t: (lambda a: ((a.sqrt()).backward(t.ones(2)), a.grad))(
        t.tensor([-1., 1.], requires_grad=True)),
    "inf_is_fine": lambda t: (lambda a: (a.sqrt().sum().backward(), a.grad))(
        t.tensor([0., 1.], requires_grad=True)),
    "mul_grad_output": lambda t: (lambda a: ((a * 2).backward(t.tensor([float("nan")])), a.grad))(
        t.tensor([1.], requires_grad=True)),
    "autograd_grad": lambda t: (lambda a: t.autograd.grad((a / a).sum(), a))(
        t.tensor([0.], requires_grad=True)),
}


@pytest.mark.parametrize("name", sorted(ANOMALY))
@pytest.mark.parametrize("check_nan", [True, False])
def test_detect_anomaly_nan(name, check_nan):
    check(_anomaly(ANOMALY[name], check_nan))


def test_anomaly_switches():
    def run(t):
        out = [t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()]
        try:
            for args in ((True,), (True, False), (False,), (1,), (True, 1)):
                try:
                    out.append(t.set_anomaly_enabled(*args))
                except TypeError as e:
                    out.append(str(e))
                out.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
            with t.autograd.detect_anomaly(check_nan=False) as a:
                out.append((a, t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
            out.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
            s = t.autograd.set_detect_anomaly(True)
            out.append(t.is_anomaly_enabled())
            with s as a:
                out.append(a)
            out.append(t.is_anomaly_enabled())
            t.autograd.set_detect_anomaly(True, check_nan=False)
            out.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
            try:
                t.autograd.set_detect_anomaly(1)
            except TypeError as e:
                out.append(str(e))
            for cm in (t.autograd.detect_anomaly(), t.autograd.set_detect_anomaly(False)):
                try:
                    cm(lambda: 1)
                except TypeError as e:
                    out.append(str(e))
            return out
        finally:
            t.set_anomaly_enabled(False)
    check(run)
    assert repr(tj.autograd.detect_anomaly) == \
        "<class 'torchjax.autograd.anomaly_mode.detect_anomaly'>"


# ---------------------------------------------------------------- pinned / shared memory

MEMORY = {
    "is_pinned": lambda t: (x23(t).is_pinned(), x23(t).is_pinned("cpu")),
    "pin_memory": lambda t: x23(t).pin_memory(),
    "pin_memory_cpu": lambda t: x23(t).pin_memory("cpu"),
    "zeros_pinned": lambda t: t.scalar_tensor(1, pin_memory=True),
    "empty_permuted_pinned": lambda t: t.empty_permuted((2,), (0,), pin_memory=True),
    "share": lambda t: (lambda x: (x.is_shared(), x.share_memory_() is x, x.is_shared(),
                                   x.view(-1).is_shared(), x.clone().is_shared()))(x23(t)),
}


@pytest.mark.parametrize("name", sorted(MEMORY))
def test_memory(name):
    check(MEMORY[name])


# ---------------------------------------------------------------- apply_ / map_ / map2_

def _types(v, *rest):
    return type(v).__name__


APPLY = {
    "double": lambda t: t.arange(4.).apply_(lambda v: v * 2),
    "int_half": lambda t: t.arange(4).apply_(lambda v: v / 2),
    "int_tuple": lambda t: t.arange(4).apply_(lambda v: (v, 1)),
    "bool_type": lambda t: t.tensor([True, False]).apply_(lambda v: type(v)),
    "bool_not": lambda t: t.tensor([True, False]).apply_(lambda v: not v),
    "float_arg_type": lambda t: t.tensor([1.5]).apply_(lambda v: float(type(v) is float)),
    "int_arg_type": lambda t: t.tensor([1]).apply_(lambda v: int(type(v) is int)),
    "complex": lambda t: t.tensor([1 + 1j]).apply_(lambda v: v * 1j),
    "not_callable": lambda t: t.arange(4.).apply_(3),
    "none": lambda t: t.arange(4.).apply_(lambda v: None),
    "str": lambda t: t.arange(4.).apply_(lambda v: "a"),
    "requires_grad": lambda t: t.arange(4., requires_grad=True).apply_(lambda v: v),
    "transposed": lambda t: (lambda z: (z.t().apply_(lambda v: v + 1), z))(x23(t)),
    "column_view": lambda t: (lambda z: (z[:, 1].apply_(lambda v: v + 10), z))(x23(t)),
    "big_int": lambda t: t.arange(3).apply_(lambda v: 2 ** 70),
    "int_from_float": lambda t: t.arange(3).apply_(lambda v: 2.7),
    "uint8_wrap": lambda t: t.arange(3, dtype=t.uint8).apply_(lambda v: -1),
    "f16_overflow": lambda t: t.arange(3., dtype=t.float16).apply_(lambda v: 1e6),
    "f32_overflow": lambda t: t.arange(3.).apply_(lambda v: 1e300),
    "tensor_result": lambda t: t.arange(3.).apply_(lambda v: t.tensor(2.)),
    "complex_into_float": lambda t: t.arange(3.).apply_(lambda v: 1j),
    "raises": lambda t: t.arange(3.).apply_(lambda v: {}[v]),
    "empty": lambda t: t.zeros(0).apply_(lambda v: v + 1),
    "map": lambda t: t.arange(3.).map_(t.tensor([1., 2, 3]), lambda a, b: a * b),
    "map_broadcast": lambda t: t.arange(3.).map_(t.tensor([1.]), lambda a, b: a + b),
    "map_dtype": lambda t: t.arange(3.).map_(t.tensor([1., 2, 3], dtype=t.float64), max),
    "map_long": lambda t: t.arange(3.).map_(t.tensor([1, 2, 3]), max),
    "map_shape": lambda t: t.arange(3.).map_(t.tensor([1., 2]), max),
    "map_shape2": lambda t: t.arange(3.).reshape(3, 1).map_(t.tensor([1., 2]), max),
    "map_not_tensor": lambda t: t.arange(3.).map_(3, max),
    "map_not_callable": lambda t: t.arange(3.).map_(t.ones(3), 3),
    "map_rg_first": lambda t: t.arange(3., requires_grad=True).map_(t.tensor([1, 2, 3]), max),
    "int32_overflow": lambda t: t.zeros(1, dtype=t.int32).apply_(lambda v: 2 ** 40),
    "uint8_overflow": lambda t: t.zeros(1, dtype=t.uint8).apply_(lambda v: 300),
    "uint8_neg_edge": lambda t: t.zeros(2, dtype=t.uint8).map_(t.zeros(2, dtype=t.uint8),
                                                               lambda a, b: -255),
    "int64_nan": lambda t: t.zeros(1, dtype=t.int64).apply_(lambda v: float("nan")),
    "uint8_neg_float": lambda t: t.zeros(1, dtype=t.uint8).apply_(lambda v: -1.0),
    "int64_2_63": lambda t: t.zeros(1, dtype=t.int64).apply_(lambda v: 2 ** 63),
    "uint32_neg": lambda t: t.zeros(1, dtype=t.uint32).apply_(lambda v: -1),
    "uint64_neg": lambda t: t.zeros(1, dtype=t.uint64).apply_(lambda v: -1),
    "bool_from_complex": lambda t: t.zeros(2, dtype=t.bool).apply_(lambda v: 1j),
    "complex_str": lambda t: t.zeros(1, dtype=t.complex64).apply_(lambda v: "1"),
    "float_huge_int": lambda t: t.zeros(1).apply_(lambda v: 10 ** 400),
    "map2": lambda t: t.arange(3.).map2_(t.ones(3), t.full((3,), 2.), lambda a, b, c: a + b * c),
}


@pytest.mark.parametrize("name", sorted(APPLY))
def test_apply_map(name):
    check(APPLY[name])


# ---------------------------------------------------------------- post-accumulate-grad hooks

def test_post_accumulate_grad_hook():
    def run(t):
        a = t.ones(2, requires_grad=True)
        log = []
        h = a.register_post_accumulate_grad_hook(lambda v: log.append((v is a, v.grad.tolist())))
        out = [type(h).__name__]
        (a * 3).sum().backward()
        (a * 2).sum().backward()
        h.remove()
        (a * 2).sum().backward()
        out += [log, a.grad.tolist()]
        c = t.ones(2, requires_grad=True)
        c.register_hook(lambda g: log.append(("pre", g.tolist())) or g * 10)
        c.register_post_accumulate_grad_hook(lambda v: log.append(("post", v.grad.tolist())))
        c.register_post_accumulate_grad_hook(lambda v: log.append(("post2", v.grad.tolist())))
        (c * 1).sum().backward()
        d = t.ones(2, requires_grad=True)
        d.register_post_accumulate_grad_hook(lambda v: log.append("never"))
        out.append(t.autograd.grad((d * 2).sum(), d)[0].tolist())
        e = t.ones(2, requires_grad=True)
        e.register_post_accumulate_grad_hook(lambda v: setattr(v, "grad", None))
        (e * 2).sum().backward()
        return out + [log, e.grad]
    check(run)


@pytest.mark.parametrize("case", ["non_leaf", "no_grad", "returns_int", "returns_tensor"])
def test_post_accumulate_grad_hook_errors(case):
    def run(t):
        if case == "non_leaf":
            return (t.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)
        if case == "no_grad":
            return t.ones(2).register_post_accumulate_grad_hook(print)
        b = t.ones(2, requires_grad=True)
        b.register_post_accumulate_grad_hook(
            lambda v: 5 if case == "returns_int" else t.zeros(2))
        try:
            (b * 2).sum().backward()
        finally:
            assert b.grad.tolist() == [2., 2.]
    check(run)


# ---------------------------------------------------------------- fill_diagonal_

DIAG = {
    "square": lambda t: t.zeros(3, 3).fill_diagonal_(5),
    "tall": lambda t: t.zeros(7, 3).fill_diagonal_(5),
    "tall_wrap": lambda t: t.zeros(7, 3).fill_diagonal_(5, wrap=True),
    "tall_wrap_long": lambda t: t.zeros(10, 2).fill_diagonal_(5, True),
    "wide_wrap": lambda t: t.zeros(3, 7).fill_diagonal_(5, True),
    "cube": lambda t: t.zeros(3, 3, 3).fill_diagonal_(5),
    "not_equal": lambda t: t.zeros(3, 3, 2).fill_diagonal_(5),
    "one_dim": lambda t: t.zeros(3).fill_diagonal_(5),
    "int_trunc": lambda t: t.zeros(3, 3, dtype=t.int64).fill_diagonal_(2.5),
    "tensor_value": lambda t: t.zeros(2, 2, dtype=t.int64).fill_diagonal_(t.tensor(2)),
    "grad_fn": lambda t: type(t.zeros(2, 2, requires_grad=True).clone().fill_diagonal_(2)
                             .grad_fn).__name__,
    "empty": lambda t: t.zeros(0, 0).fill_diagonal_(2),
    "kw": lambda t: t.zeros(2, 2).fill_diagonal_(fill_value=3),
    "slice_view": lambda t: (lambda z: (z[:, :3].fill_diagonal_(3), z))(t.zeros(4, 4)),
    "transposed": lambda t: t.zeros(4, 3).t().fill_diagonal_(3),
    "uint8_neg": lambda t: t.zeros(2, 2, dtype=t.uint8).fill_diagonal_(-1),
    "uint8_overflow": lambda t: t.zeros(2, 2, dtype=t.uint8).fill_diagonal_(300),
    "bool": lambda t: t.zeros(2, 2, dtype=t.bool).fill_diagonal_(2),
    "f64_exact": lambda t: t.zeros(2, 2, dtype=t.float64).fill_diagonal_(0.1),
    "complex_into_float": lambda t: t.zeros(2, 2).fill_diagonal_(1j),
    "f16_overflow": lambda t: t.zeros(2, 2, dtype=t.float16).fill_diagonal_(70000.),
    "uint8_neg_float": lambda t: t.zeros(2, 2, dtype=t.uint8).fill_diagonal_(-1.0),
}


@pytest.mark.parametrize("name", sorted(DIAG))
def test_fill_diagonal(name):
    check(DIAG[name])


def test_fill_diagonal_grad():
    grads = []
    for t in (torch, tj):
        a = t.arange(9., requires_grad=True)
        (a.reshape(3, 3).clone().fill_diagonal_(7) * t.arange(9.).reshape(3, 3)).sum().backward()
        grads.append(a.grad.tolist())
    assert grads[0] == grads[1]


# ---------------------------------------------------------------- legacy Tensor.new

NEW = {
    "sizes": lambda t: x23(t).new(2, 3).shape,
    "dtype": lambda t: (x23(t).new(2, 3).dtype, t.zeros(1, dtype=t.int32).new(2).dtype),
    "list": lambda t: x23(t).new([1, 2]),
    "tuple_data": lambda t: x23(t).new((1, 2)),
    "empty": lambda t: x23(t).new(),
    "int_trunc": lambda t: t.zeros(1, dtype=t.int32).new([1.7, 2]),
    "size_obj": lambda t: x23(t).new(t.Size([2, 2])).shape,
    "tensor_other_dtype": lambda t: x23(t).new(t.tensor([1, 2])),
    "tensor_same": lambda t: x23(t).new(t.tensor([1., 2])),
    "alias": lambda t: (lambda x: x.new(x).data_ptr() == x.data_ptr())(x23(t)),
    "dtype_kw": lambda t: x23(t).new(2, dtype=t.int64),
    "device_kw": lambda t: x23(t).new(2, device="cpu").shape,
    "float": lambda t: x23(t).new(3.5),
    "empty_list": lambda t: x23(t).new([]),
    "numpy": lambda t: x23(t).new(np.array([1, 2])),
    "negative": lambda t: x23(t).new(-1),
    "requires_grad_kw": lambda t: x23(t).new(2, 3, requires_grad=True),
    "str": lambda t: x23(t).new("a"),
    "not_requires_grad": lambda t: t.zeros(1, requires_grad=True).new(2).requires_grad,
    "list_in_sizes": lambda t: x23(t).new(2, [3]),
    "only_bad_kw": lambda t: x23(t).new(dtype=t.int64),
    "bad_kw": lambda t: x23(t).new(2, foo=1),
    "three_bad_kw": lambda t: x23(t).new(2, 3, 4, foo=1),
    "two_bad_kw": lambda t: x23(t).new(foo=1, bar=2),
    "device_and_bad": lambda t: x23(t).new(2, device="cpu", foo=1),
    "tensor_bad_kw": lambda t: x23(t).new(x23(t), foo=1),
}


@pytest.mark.parametrize("name", sorted(NEW))
def test_new(name):
    check(NEW[name])


# ---------------------------------------------------------------- dim_order

def _order(t, shape, perm=None, cl=False, sl=None, **kw):
    x = t.empty(shape)
    if cl:
        x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
    if perm:
        x = x.permute(*perm)
    if sl:
        x = x[sl]
    kw = {k: [getattr(t, m) for m in v] if isinstance(v, list) else v for k, v in kw.items()}
    return x.dim_order(**kw)


DIM_ORDER = {
    "contig": ((2, 3), {}),
    "t": ((2, 3), {"perm": (1, 0)}),
    "perm4": ((2, 3, 4, 5), {"perm": (0, 2, 3, 1)}),
    "perm3": ((2, 3, 4), {"perm": (2, 0, 1)}),
    "singleton": ((2, 1, 4), {}),
    "singleton_check": ((2, 1, 4), {"ambiguity_check": True}),
    "channels_last": ((2, 3, 4, 5), {"cl": True}),
    "channels_last_check": ((2, 3, 4, 5), {"cl": True, "ambiguity_check": True}),
    "formats_ok": ((1, 2, 2, 1), {"ambiguity_check": ["contiguous_format", "channels_last"]}),
    "formats_cont": ((2, 3, 2, 2), {"ambiguity_check": ["contiguous_format", "channels_last"]}),
    "formats_empty": ((2, 1), {"ambiguity_check": []}),
    "bad_check": ((2, 3), {"ambiguity_check": 3}),
    "bad_list": ((2, 3), {"ambiguity_check": [1]}),
    "strided": ((2, 3), {"sl": (slice(None), slice(None, None, 2))}),
    "ones": ((3, 1, 1), {}),
    "ones_check": ((3, 1, 1), {"ambiguity_check": True}),
    "scalar": ((), {}),
    "vector": ((4,), {}),
}


@pytest.mark.parametrize("name", sorted(DIM_ORDER))
def test_dim_order(name):
    shape, kw = DIM_ORDER[name]
    check(lambda t: _order(t, shape, **kw))


# ---------------------------------------------------------------- chalf

def test_chalf_names_missing_dtype():
    with pytest.raises(TypeError, match="complex32"):
        x23(tj).chalf()


# ---------------------------------------------------------------- empty_permuted, frombuffer

EMPTY_PERMUTED = {
    "perm3": lambda t: (lambda e: (e.shape, e.stride(), e.dtype, e.is_contiguous(), e._base))(
        t.empty_permuted((2, 3, 4), (2, 0, 1))),
    "kwargs": lambda t: (lambda e: (e.shape, e.stride(), e.dtype, e.requires_grad))(
        t.empty_permuted([2, 3, 4], [0, 2, 1], dtype=t.float64, requires_grad=True)),
    "dup": lambda t: t.empty_permuted((2, 3), (0, 0)),
    "len": lambda t: t.empty_permuted((2, 3), (0,)),
    "range": lambda t: t.empty_permuted((2, 3), (0, 2)),
    "negative": lambda t: t.empty_permuted((2, 3), (-1, 0)),
    "scalar": lambda t: t.empty_permuted((), ()).shape,
}


@pytest.mark.parametrize("name", sorted(EMPTY_PERMUTED))
def test_empty_permuted(name):
    check(EMPTY_PERMUTED[name])


def test_empty_permuted_is_writable():
    e = tj.empty_permuted((2, 3), (1, 0))
    e.copy_(tj.arange(6.).reshape(2, 3))
    assert e.tolist() == [[0., 1., 2.], [3., 4., 5.]] and e.stride() == (1, 2)


BUF = b"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00"
FROMBUFFER = {
    "int32": lambda t: t.frombuffer(bytearray(BUF), dtype=t.int32),
    "count_offset": lambda t: t.frombuffer(bytearray(BUF), dtype=t.int32, count=2, offset=4),
    "int16_offset": lambda t: t.frombuffer(bytearray(BUF), dtype=t.int16, count=-1, offset=2),
    "too_long": lambda t: t.frombuffer(bytearray(BUF), dtype=t.float32, count=5),
    "offset_big": lambda t: t.frombuffer(bytearray(BUF), dtype=t.int32, offset=13),
    "not_multiple": lambda t: t.frombuffer(bytearray(BUF), dtype=t.int32, offset=2),
    "offset_neg": lambda t: t.frombuffer(bytearray(BUF), dtype=t.int32, offset=-1),
    "count0": lambda t: t.frombuffer(bytearray(BUF), dtype=t.int32, count=0),
    "empty": lambda t: t.frombuffer(bytearray(), dtype=t.int32),
    "no_dtype": lambda t: t.frombuffer(bytearray(BUF)),
    "positional_dtype": lambda t: t.frombuffer(bytearray(BUF), t.int32),
    "grad_int": lambda t: t.frombuffer(bytearray(BUF), dtype=t.uint8, requires_grad=True),
    "grad_float": lambda t: t.frombuffer(bytearray(BUF), dtype=t.float32, requires_grad=True),
    "not_buffer": lambda t: t.frombuffer([1, 2], dtype=t.int32),
    "array": lambda t: t.frombuffer(array.array("d", [1.5, 2.5]), dtype=t.float64),
    "bool": lambda t: t.frombuffer(bytearray(b"\x00\x01"), dtype=t.bool),
}


@pytest.mark.parametrize("name", sorted(FROMBUFFER))
def test_frombuffer(name):
    check(FROMBUFFER[name])


def test_frombuffer_readonly_warns_once():
    def run(t):
        return [t.frombuffer(BUF, dtype=t.int32) for _ in range(2)]
    for t in (torch, tj):
        t.set_warn_always(True)
    try:
        _, warned = check(run)
        assert len(warned) == 2
    finally:
        for t in (torch, tj):
            t.set_warn_always(False)


# ---------------------------------------------------------------- DLPack

def test_dlpack_roundtrip():
    x = x23(tj)
    dev = x.__dlpack_device__()
    assert (int(dev[0]), dev[1]) == tuple(int(v) for v in x23(torch).__dlpack_device__())
    assert type(tj.to_dlpack(x)).__name__ == "PyCapsule"
    np.testing.assert_array_equal(tj.from_dlpack(tj.to_dlpack(x)).numpy(), x.numpy())
    np.testing.assert_array_equal(np.from_dlpack(x), x.numpy())
    np.testing.assert_array_equal(np.from_dlpack(x.t()), x.numpy().T)
    y = tj.from_dlpack(np.arange(3.))
    assert y.dtype == tj.float64 and y.tolist() == [0., 1., 2.]
    z = tj.from_dlpack(torch.arange(4, dtype=torch.int16))  # torch as the producer
    assert z.dtype == tj.int16 and z.tolist() == [0, 1, 2, 3]
    w = torch.from_dlpack(x)  # and as the consumer
    assert w.dtype == torch.float32 and w.tolist() == x.tolist()
    assert tj.utils.dlpack.from_dlpack is tj.from_dlpack
    assert int(tj.utils.dlpack.DLDeviceType.kDLCPU) == int(torch.utils.dlpack.DLDeviceType.kDLCPU)


@pytest.mark.parametrize("case", ["used_capsule", "not_capsule", "requires_grad"])
def test_dlpack_errors(case):
    def run(t):
        if case == "used_capsule":
            cap = t.to_dlpack(x23(t))
            t.from_dlpack(cap)
            return t.from_dlpack(cap)
        if case == "not_capsule":
            return t.from_dlpack(3)
        return x23(t, rg=True).__dlpack__()
    check(run)


def test_resize_as_function_and_method():
    for m in (torch, tj):
        x = m.zeros(2)
        assert tuple(m.resize_as_(x, m.ones(3, 2)).shape) == (3, 2) and tuple(x.shape) == (3, 2)
    for expr in ("m.resize_as_(m.zeros(2), 3)", "m.zeros(2).resize_as_(3)", "m.resize_as_(3, m.zeros(2))",
                 "m.zeros(2, requires_grad=True).resize_as_(m.ones(3))"):
        errs = []
        for m in (torch, tj):
            try:
                eval(expr, {"m": m})
                errs.append(None)
            except Exception as e:  # noqa: BLE001 - compared below
                errs.append((type(e).__name__, str(e)))
        assert errs[0] == errs[1] and errs[0] is not None, (expr, errs)


_OUT_CASES = {
    "index_select": lambda m, x, i, A, o: m.index_select(x, 0, i, out=o),
    "gather": lambda m, x, i, A, o: m.gather(x, 0, i[None], out=o),
    "take_along_dim": lambda m, x, i, A, o: m.take_along_dim(x, i[None], dim=1, out=o),
    "take": lambda m, x, i, A, o: m.take(x, i, out=o),
    "scatter": lambda m, x, i, A, o: m.scatter(x, 0, i[None], x, out=o),
    "scatter_add": lambda m, x, i, A, o: m.scatter_add(x, 0, i[None], x, out=o),
    "scatter_reduce": lambda m, x, i, A, o: m.scatter_reduce(x, 0, i[None], x, "sum", out=o),
    "index_add": lambda m, x, i, A, o: m.index_add(x, 0, i, x[:2], out=o),
    "index_copy": lambda m, x, i, A, o: m.index_copy(x, 0, i, x[:2], out=o),
    "masked_select": lambda m, x, i, A, o: m.masked_select(x, x > 4, out=o),
    "diag": lambda m, x, i, A, o: m.diag(x, out=o),
    "narrow_copy": lambda m, x, i, A, o: m.narrow_copy(x, 0, 0, 1, out=o),
    "msort": lambda m, x, i, A, o: m.msort(x, out=o),
    "fftfreq": lambda m, x, i, A, o: m.fft.fftfreq(4, out=o),
    "linalg.inv": lambda m, x, i, A, o: m.linalg.inv(A, out=o),
    "linalg.solve": lambda m, x, i, A, o: m.linalg.solve(A, A, out=o),
    "linalg.cholesky": lambda m, x, i, A, o: m.linalg.cholesky(A, out=o),
    "inverse": lambda m, x, i, A, o: m.inverse(A, out=o),
    "linalg.tensorinv": lambda m, x, i, A, o: m.linalg.tensorinv(A, ind=1, out=o),
    "linalg.tensorsolve": lambda m, x, i, A, o: m.linalg.tensorsolve(A, A[0], out=o),
}


@pytest.mark.parametrize("name", sorted(_OUT_CASES))
def test_out_argument_of_composite_ops(name):
    """out= of the ops written as Python composites: values written in place, the resize warning
    for a non-empty out of another shape, and torch's autograd error (naming torch's aten op)."""
    import warnings
    f = _OUT_CASES[name]
    seen = []
    for m in (torch, tj):
        x = m.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])
        i, A = m.tensor([0, 2]), x @ x.T + 3 * m.eye(3)
        o = m.empty(0)
        r = f(m, x, i, A, o)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            f(m, x, i, A, m.zeros(1))
        msgs = [str(v.message).split(" (Triggered")[0] for v in w if "resized" in str(v.message)]
        try:
            f(m, x.requires_grad_(), i, A.requires_grad_(), m.empty(0))
            err = None
        except RuntimeError as e:
            err = str(e)
        seen.append((np.asarray(o.tolist()), r is o, msgs, err))
    (a, *ra), (b, *rb) = seen
    np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert ra == rb
