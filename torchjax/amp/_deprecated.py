"""The deprecated torch.cuda.amp / torch.cpu.amp wrappers (FutureWarning, torch's texts)."""
import functools
import warnings

from . import autocast_mode, grad_scaler
from .. import _dtype as D


def _warn(msg):
    warnings.warn(msg, FutureWarning, stacklevel=3)


def autocast_class(device, default_dtype, module):
    """torch.{cuda,cpu}.amp.autocast(enabled=True, dtype=..., cache_enabled=True)."""
    msg = (f"`torch.{device}.amp.autocast(args...)` is deprecated. "
           f"Please use `torch.amp.autocast('{device}', args...)` instead.")

    class autocast(autocast_mode.autocast):
        def __init__(self, enabled=True, dtype=default_dtype, cache_enabled=True):
            _warn(msg)
            super().__init__(device, enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)

    autocast.__module__, autocast.__qualname__ = module, "autocast"
    autocast.__doc__ = (f"See :class:`torch.autocast`. ``torch.{device}.amp.autocast(args...)`` "
                        f"is deprecated. Please use ``torch.amp.autocast(\"{device}\", args...)`` "
                        "instead.")
    return autocast


def grad_scaler_class(device, module):
    """torch.{cuda,cpu}.amp.GradScaler(init_scale, growth_factor, ...)."""
    msg = (f"`torch.{device}.amp.GradScaler(args...)` is deprecated. "
           f"Please use `torch.amp.GradScaler('{device}', args...)` instead.")

    class GradScaler(grad_scaler.GradScaler):
        def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                     growth_interval=2000, enabled=True):
            _warn(msg)
            super().__init__(device, init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval,
                             enabled=enabled)

    GradScaler.__module__, GradScaler.__qualname__ = module, "GradScaler"
    return GradScaler


def cuda_custom_fwd(fwd=None, *, cast_inputs=None):
    """``torch.cuda.amp.custom_fwd(args...)`` is deprecated: use torch.amp.custom_fwd."""
    _warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. "
          "Please use `torch.amp.custom_fwd(args..., device_type='cuda')` instead.")
    return functools.partial(autocast_mode.custom_fwd, device_type="cuda")(
        fwd=fwd, cast_inputs=cast_inputs)


def cuda_custom_bwd(bwd):
    """``torch.cuda.amp.custom_bwd(args...)`` is deprecated: use torch.amp.custom_bwd."""
    _warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. "
          "Please use `torch.amp.custom_bwd(args..., device_type='cuda')` instead.")
    return functools.partial(autocast_mode.custom_bwd, device_type="cuda")(bwd)


def cuda_cast(value, dtype):
    _warn("`torch.cuda.amp.autocast_mode._cast(value, dtype)` is deprecated. "
          "Please use `torch.amp.autocast_mode._cast(value, 'cuda', dtype)` instead.")
    return autocast_mode._cast(value, "cuda", dtype)


CUDA_DTYPE, CPU_DTYPE = D.float16, D.bfloat16
