from ...amp import _deprecated as _d

__all__ = ["autocast", "custom_fwd", "custom_bwd"]

autocast = _d.autocast_class("cuda", _d.CUDA_DTYPE, __name__)
custom_fwd, custom_bwd, _cast = _d.cuda_custom_fwd, _d.cuda_custom_bwd, _d.cuda_cast
