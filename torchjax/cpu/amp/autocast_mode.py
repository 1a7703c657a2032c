from ...amp import _deprecated as _d

__all__ = ["autocast"]

autocast = _d.autocast_class("cpu", _d.CPU_DTYPE, __name__)
