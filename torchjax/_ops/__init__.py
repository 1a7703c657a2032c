"""Import every op family (each registers into the one table) and install the derived forms."""
import importlib

FAMILIES = ["core", "pointwise", "reduction", "shape", "indexing", "linalg", "random_ops", "fft", "creation", "sorting", "special", "activation", "nn_linear", "conv", "nn_misc", "normalization", "dropout", "loss", "rnn", "statistics", "spectral", "misc_api", "double_grad"]
_installed = []


def install():
    if _installed:
        return
    from .registry import METHODS
    from .._tensor import Tensor
    import gc
    gc.disable()  # registering ~500 ops allocates many objects: no collection passes meanwhile
    try:
        for f in FAMILIES:
            importlib.import_module(f"{__name__}.{f}")
    finally:
        gc.enable()
    for name, fn in METHODS.items():
        if not isinstance(Tensor.__dict__.get(name), property):
            setattr(Tensor, name, fn)
    _installed.append(True)


install()
