"""torch.backends.cuda: cuBLAS matmul switches.

`matmul.allow_tf32` and friends are recorded with PyTorch's defaults for the
matmul code to read; they change nothing by themselves.
"""

__all__ = ["is_built", "matmul", "cuBLASModule"]

_PRECISIONS = ("none", "ieee", "tf32")

# torch's fp32 matmul precision state, shared with torch.set/get_float32_matmul_precision:
# the legacy setting and the new per-backend ones (cuda matmul, mkldnn matmul).
FP32 = {"legacy": "highest", "cuda": "none", "mkldnn": "none"}
# torch's precision -> JAX's default matmul precision (on CPU all three compute in float32)
JAX_PRECISION = {"highest": "highest", "high": "high", "medium": "default"}
_MIXED = ("Current status indicate that you have used mix of the legacy and new APIs to set the "
          "{}. See also: https://pytorch.org/docs/main/notes/cuda.html#tensorfloat-32-tf32-on-"
          "ampere-and-later-devices")


def set_legacy_precision(p, cuda, mkldnn=None):
    """Set the legacy precision and the backends' ones it implies; JAX's precision follows."""
    FP32["legacy"], FP32["cuda"] = p, cuda
    if mkldnn is not None:
        FP32["mkldnn"] = mkldnn
    import jax
    want = JAX_PRECISION[p]
    if want == "highest" and jax.default_backend() == "cpu":
        want = None  # XLA's CPU dots are float32 already; None keeps the default compile keys
    if jax.config.jax_default_matmul_precision != want:
        jax.config.update("jax_default_matmul_precision", want)


def legacy_precision():
    """torch.get_float32_matmul_precision(): refuses a mix of the legacy and new settings."""
    p, mk = FP32["legacy"], FP32["mkldnn"]
    if ((FP32["cuda"] == "tf32" and p == "highest") or (mk == "bf16" and p != "medium")
            or (mk == "tf32" and p != "high")):
        raise RuntimeError("PyTorch is checking the matmul precision without a specific backend "
                           "name," + _MIXED.format("matmul precision. We suggest only using the "
                                                   "new API for matmul precision"))
    return p


def is_built():
    """Whether JAX can run on a CUDA GPU here."""
    from torchjax import cuda

    return any(d.platform == "gpu" for d in cuda._devices())


def _bool_pair(value, name):
    """A setting given as a bool or a 1/2-tuple of bools -> (bool, bool)."""
    if isinstance(value, bool):
        return value, True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{name} expects at most two boolean arguments")
        for item, which in zip(value, ("allow_reduced_precision", "allow_splitk")):
            if not isinstance(item, bool):
                raise TypeError(f"{name} expects a bool for {which}, but got {type(item)!r}")
        return value[0], value[1] if len(value) == 2 else True
    raise TypeError(
        f"{name} expects a bool or a tuple/list of bools, but got {type(value)!r}"
    )


class cuBLASModule:
    """torch.backends.cuda.matmul: a fixed set of settable attributes."""

    def __init__(self):
        state = {
            "fp16_reduction": (True, True),
            "bf16_reduction": (True, True),
            "allow_fp16_accumulation": False,
        }
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name):
        state = self._state
        if name == "allow_tf32":
            tf32 = FP32["cuda"] == "tf32"
            if tf32 != (FP32["legacy"] != "highest"):
                raise RuntimeError(
                    "PyTorch is checking whether allow_tf32_new is enabled for cuBlas matmul,"
                    + _MIXED.format("TF32 status for cublas matmul. We suggest only using the "
                                    "new API to set the TF32 flag"))
            return tf32
        if name == "fp32_precision":
            return FP32["cuda"]
        if name == "allow_fp16_reduced_precision_reduction":
            return state["fp16_reduction"][0]
        if name == "allow_fp16_reduced_precision_reduction_split_k":
            return state["fp16_reduction"][1]
        if name == "allow_bf16_reduced_precision_reduction":
            return state["bf16_reduction"][0]
        if name == "allow_bf16_reduced_precision_reduction_split_k":
            return state["bf16_reduction"][1]
        if name == "allow_fp16_accumulation":
            return state["allow_fp16_accumulation"]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        state = self._state
        if name == "allow_tf32":
            set_legacy_precision("high" if value else "highest", "tf32" if value else "ieee")
        elif name == "fp32_precision":
            if value not in _PRECISIONS:
                raise RuntimeError(f"backend 'cuda' does not support precision '{value}'"
                                   if value == "bf16" else f"Unknown precision: {value}")
            FP32["cuda"] = value
        elif name == "allow_fp16_reduced_precision_reduction":
            state["fp16_reduction"] = _bool_pair(value, name)
        elif name == "allow_bf16_reduced_precision_reduction":
            state["bf16_reduction"] = _bool_pair(value, name)
        elif name == "allow_fp16_accumulation":
            state["allow_fp16_accumulation"] = bool(value)
        else:
            raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()
