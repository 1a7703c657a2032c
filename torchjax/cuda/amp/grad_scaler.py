from ...amp import _deprecated as _d
from ...amp.grad_scaler import OptState  # noqa: F401

__all__ = ["GradScaler"]

GradScaler = _d.grad_scaler_class("cuda", __name__)
