"""torch.backends.cuda: cuBLAS matmul switches.

`matmul.allow_tf32` and friends are recorded with PyTorch's defaults for the
matmul code to read; they change nothing by themselves.
"""

__all__ = ["is_built", "matmul", "cuBLASModule"]

_PRECISIONS = ("none", "ieee", "tf32")


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
            "fp32_precision": "none",
            "allow_tf32": False,
            "fp16_reduction": (True, True),
            "bf16_reduction": (True, True),
            "allow_fp16_accumulation": False,
        }
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name):
        state = self._state
        if name == "allow_tf32":
            return state["allow_tf32"]
        if name == "fp32_precision":
            return state["fp32_precision"]
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
            state["allow_tf32"] = bool(value)
            state["fp32_precision"] = "tf32" if value else "ieee"
        elif name == "fp32_precision":
            if value not in _PRECISIONS:
                raise RuntimeError(
                    f"{value} is not supported in cuda matmul; choose from {_PRECISIONS}"
                )
            state["fp32_precision"] = value
            state["allow_tf32"] = value == "tf32"
        elif name == "allow_fp16_reduced_precision_reduction":
            state["fp16_reduction"] = _bool_pair(value, name)
        elif name == "allow_bf16_reduced_precision_reduction":
            state["bf16_reduction"] = _bool_pair(value, name)
        elif name == "allow_fp16_accumulation":
            state["allow_fp16_accumulation"] = bool(value)
        else:
            raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()
