"""Run torch's OpInfo samples (op_db) through torch and the target, and compare.

`run_entry(op, tj)` tests one op_db entry against target module `tj` (torchjax; torch itself
for the harness self-test) and returns an EntryResult."""
import contextlib
import random
import signal
import threading
import time
import types
import warnings
from dataclasses import asdict, dataclass, field

import ml_dtypes
import numpy as np
import torch
from torch.testing._internal import opinfo as _opinfo

from .compare import compare
from .config import EXCLUDED, OVERRIDES
from .convert import Converter, attr_path, dtype_name, make_target, rebind

DTYPES = (torch.float32, torch.int64, torch.bool)
SAMPLE_LIMIT_S = 120  # a sample running longer is recorded as a failure ('timeout')
COTANGENT_SEED = 1234


def op_db():
    from torch.testing._internal.common_methods_invocations import op_db as db
    return db


def entry_key(op):
    return f"{op.name}:{op.variant_test_name}" if op.variant_test_name else op.name


@dataclass
class EntryResult:
    key: str
    family: str
    status: str  # 'missing' | 'excluded' | 'skipped (torch)' | 'tested'
    reason: str = ""  # why skipped (torch)
    dtypes: list = field(default_factory=list)
    samples: int = 0
    forward_fail: str = ""  # first failure, '' when all samples pass
    grad_samples: int = 0  # samples whose gradient was compared
    grad_fail: str = ""
    errors_total: int = 0
    errors_matched: int = 0
    errors_fail: str = ""
    errors_untestable: int = 0  # error inputs that can't be carried over as values
    # (meta/65-d tensors, memory-overlap errors): not counted
    seconds: float = 0.0

    @property
    def forward_ok(self):
        return self.status == "tested" and not self.forward_fail

    @property
    def grad_ok(self):
        return self.forward_ok and self.grad_samples > 0 and not self.grad_fail

    def to_dict(self):
        return asdict(self)


# ---- which callable of the target stands for an op_db entry ----

def target_fn(op, tj):
    """The target's callable for `op`, or None when the target does not provide it."""
    f = op.op
    path = attr_path(tj, op.name)
    method = getattr(tj.Tensor, op.name.rsplit(".", 1)[-1], None) if "." not in op.name else None
    if isinstance(f, types.FunctionType) and f.__module__.startswith("torch.testing"):
        # an op_db lambda such as `lambda x, n: torch.polygamma(n, x)` or `lambda x: x.mT`
        if not (callable(path) and not _is_dtype(path)) and method is None:
            return None
        return rebind(f, tj)
    if f is getattr(torch.Tensor, op.name, object()) and method is not None:
        return method
    if callable(path) and not _is_dtype(path):
        return path
    return None


def _is_dtype(x):
    return type(x).__name__ == "dtype"


# ---- families for the report ----

_SHAPE = set("""reshape reshape_as view view_as flatten unflatten squeeze unsqueeze permute
transpose swapaxes swapdims movedim moveaxis t T mT H mH adjoint expand expand_as broadcast_to
broadcast_tensors broadcast_shapes cat concat concatenate stack hstack vstack dstack column_stack
row_stack split split_with_sizes tensor_split chunk unsafe_chunk unsafe_split hsplit vsplit dsplit
unbind unbind_copy flip fliplr flipud roll rot90 repeat tile repeat_interleave narrow narrow_copy
diag_embed diagonal diagonal_copy diag atleast_1d atleast_2d atleast_3d ravel contiguous clone
view_as_real view_as_complex tril triu unfold unfold_copy as_strided as_strided_copy
as_strided_scatter meshgrid block_diag resize_ resize_as_ squeeze_copy unsqueeze_copy
permute_copy transpose_copy t_copy expand_copy view_copy alias_copy sum_to_size
cartesian_prod combinations""".split())
_INDEXING = ("index", "gather", "scatter", "take", "select", "slice", "masked_fill",
             "masked_scatter", "masked_select", "__getitem__", "put", "nonzero", "argwhere",
             "searchsorted", "bucketize", "where")


def family(op):
    name = op.name
    if name.startswith("torch."):  # private aten ops
        return "other"
    if "." in name:
        return name.rsplit(".", 1)[0]
    if name in _SHAPE or name.endswith("_copy"):
        return "shape"
    if any(s in name for s in _INDEXING):
        return "indexing"
    if isinstance(op, _opinfo.core.ReductionOpInfo):
        return "reduction"
    if isinstance(op, (_opinfo.core.UnaryUfuncInfo, _opinfo.core.BinaryUfuncInfo)):
        return "pointwise"
    return "other"


# ---- running ----

@contextlib.contextmanager
def _time_limit(seconds):
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(*_):
        raise TimeoutError(f"timeout after {seconds} s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def reason(e, limit=200):
    msg = " ".join(str(e).split())
    if len(msg) > limit:
        msg = msg[:limit] + "..."
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def _flatten(x, out):
    if isinstance(x, (tuple, list)):
        for v in x:
            _flatten(v, out)
    else:
        out.append(x)
    return out


def _loss(outs, cts, real, imag):
    """sum(out_i * ct_i) over the selected outputs; complex outputs pair real and imaginary
    parts with two cotangents."""
    total = None
    for o, (c1, c2) in zip(outs, cts):
        term = (o * c1).sum() if c2 is None else (real(o) * c1).sum() + (imag(o) * c2).sum()
        total = term if total is None else total + term
    return total


def _cotangent(rng, t, tj):
    """The same random cotangent for torch output t, as (torch pair, target pair); the second
    member is None for real outputs."""
    name = dtype_name(t.dtype)
    real_name = {"complex64": "float32", "complex128": "float64"}.get(name, name)
    np_type = getattr(np, real_name, None) or getattr(ml_dtypes, real_name)
    draws = [rng.standard_normal(tuple(t.shape)).astype(np_type)
             for _ in range(2 if t.is_complex() else 1)]
    t_ct = [torch.from_numpy(a.astype(np.float64)).to(getattr(torch, real_name)) for a in draws]
    j_ct = [make_target(tj, a, real_name) for a in draws]
    return (t_ct + [None])[:2], (j_ct + [None])[:2]


def run_sample(op, fn, sample, tj, grad, override):
    """(forward failure or '', grad status): grad status is '' (passed), a failure, or None
    when no gradient was compared."""
    conv = Converter(tj)
    try:
        j_in, j_args, j_kwargs = conv(sample.input), conv(sample.args), conv(sample.kwargs)
    except Exception as e:
        return "conversion: " + reason(e), None
    try:
        expected = op.op(sample.input, *sample.args, **sample.kwargs)
        torch_error = None
    except Exception as e:
        torch_error = e
    try:
        with _time_limit(SAMPLE_LIMIT_S):
            actual = fn(j_in, *j_args, **j_kwargs)
    except Exception as e:
        if torch_error is not None:
            return "", None  # both raise
        return reason(e), None
    if torch_error is not None:
        return f"torch raised {reason(torch_error)}; target returned", None
    process = sample.output_process_fn_grad
    j_process = rebind(process, tj)
    try:
        if override.get("processed"):
            compare(process(expected), j_process(actual), override.get("rtol"), override.get("atol"))
        else:
            compare(expected, actual, override.get("rtol"), override.get("atol"))
    except Exception as e:
        return reason(e, 300), None
    if not grad or not conv.grad_pairs:
        return "", None
    return "", _grad_sample(expected, actual, process, j_process, conv.grad_pairs, tj, override)


def _grad_sample(expected, actual, process, j_process, pairs, tj, override):
    try:
        t_outs = _flatten(process(expected), [])
    except Exception:
        return None  # torch's own output processing fails: nothing to compare
    sel = [i for i, o in enumerate(t_outs) if isinstance(o, torch.Tensor) and o.requires_grad
           and (o.is_floating_point() or o.is_complex()) and o.dtype != torch.complex32]
    if not sel:
        return None
    try:
        rng = np.random.default_rng(COTANGENT_SEED)
        cts = [_cotangent(rng, t_outs[i], tj) for i in sel]
    except Exception as e:
        return "grad: harness could not build cotangents: " + reason(e)
    try:
        t_loss = _loss([t_outs[i] for i in sel], [c[0] for c in cts], torch.real, torch.imag)
        t_grads = torch.autograd.grad(t_loss, [p[0] for p in pairs], allow_unused=True)
    except Exception:
        return None  # torch has no gradient here: nothing to compare
    try:
        with _time_limit(SAMPLE_LIMIT_S):
            j_outs = _flatten(j_process(actual), [])
            if len(j_outs) != len(t_outs):
                return f"grad: {len(j_outs)} outputs after processing, expected {len(t_outs)}"
            j_loss = _loss([j_outs[i] for i in sel], [c[1] for c in cts],
                           lambda o: o.real, lambda o: o.imag)
            j_grads = tj.autograd.grad(j_loss, [p[1] for p in pairs], allow_unused=True)
    except Exception as e:
        return "grad: " + reason(e)
    try:
        for i, (tg, jg, (t_x, j_x)) in enumerate(zip(t_grads, j_grads, pairs)):
            if tg is None and jg is None:
                continue
            if tg is None:
                tg = torch.zeros_like(t_x)
            if jg is None:
                jg = tj.zeros_like(j_x)
            compare(tg, jg, override.get("grad_rtol"), override.get("grad_atol"), f"grad[{i}]")
    except Exception as e:
        return "grad " + reason(e, 300)
    return ""


def _seed():
    """Sample generators draw from torch's, Python's and numpy's generators."""
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)


def run_entry(op, tj):
    """Test one op_db entry against the target; never drops a sample."""
    key, start = entry_key(op), time.perf_counter()
    clear = getattr(getattr(getattr(tj, "_ops", None), "registry", None), "clear_caches", None)
    if clear is not None:
        clear()  # one entry's executables at a time: bounded memory and mappings
    res = EntryResult(key, family(op), "tested")
    if op.name in EXCLUDED:
        res.status = "excluded"
        return res
    fn = target_fn(op, tj)
    if fn is None:
        res.status = "missing"
        return res
    override = OVERRIDES.get(key, OVERRIDES.get(op.name, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            supported = op.supported_dtypes("cpu")
            res.dtypes = [dtype_name(d) for d in DTYPES if d in supported]
        except Exception as e:
            res.status, res.reason = "skipped (torch)", "supported_dtypes: " + reason(e)
            return res
        if not res.dtypes:
            res.status, res.reason = "skipped (torch)", "supports none of float32/int64/bool"
            return res
        for d in DTYPES:
            if dtype_name(d) not in res.dtypes:
                continue
            grad = d == torch.float32 and op.supports_autograd
            _seed()
            try:
                samples = list(op.sample_inputs("cpu", d, requires_grad=grad))
            except Exception as e:
                res.status, res.reason = "skipped (torch)", f"sample_inputs({d}): " + reason(e)
                return res
            for i, s in enumerate(samples):
                fwd, g = run_sample(op, fn, s, tj, grad, override)
                res.samples += 1
                if fwd and not res.forward_fail:
                    res.forward_fail = f"{dtype_name(d)} sample {i}: {fwd}"
                if g is not None:
                    res.grad_samples += 1
                    if g and not res.grad_fail:
                        res.grad_fail = f"sample {i}: {g}"
        _error_inputs(op, fn, tj, res)
    res.seconds = round(time.perf_counter() - start, 3)
    return res


def _error_inputs(op, fn, tj, res):
    if op.error_inputs_func is None:
        return
    try:
        _seed()
        errs = list(op.error_inputs("cpu"))
    except Exception:
        return
    for i, ei in enumerate(errs):
        s, fail = ei.sample_input, ""
        if not _torch_rejects(op, ei):
            res.errors_untestable += 1
            continue
        res.errors_total += 1
        try:
            conv = Converter(tj)
            args = conv(s.input), conv(s.args), conv(s.kwargs)
        except Exception as e:
            fail = "conversion: " + reason(e)
        else:
            try:
                with _time_limit(SAMPLE_LIMIT_S):
                    fn(args[0], *args[1], **args[2])
                fail = f"no error raised, expected {ei.error_type.__name__}"
            except ei.error_type:
                pass
            except Exception as e:
                fail = f"raised {reason(e)}, expected {ei.error_type.__name__}"
        if fail:
            if not res.errors_fail:
                res.errors_fail = f"error input {i}: {fail}"
        else:
            res.errors_matched += 1


def _torch_rejects(op, ei):
    """Whether torch still raises the expected error once the error input went through numpy
    (meta tensors, >64-d tensors and memory-overlap errors do not survive the trip)."""
    s = ei.sample_input
    try:
        conv = Converter(torch)
        args = conv(s.input), conv(s.args), conv(s.kwargs)
    except Exception:
        return False  # not representable in numpy
    try:
        op.op(args[0], *args[1], **args[2])
    except ei.error_type:
        return True
    except Exception:
        return False
    return False
