from ...amp import _deprecated as _d

__all__ = ["GradScaler"]

GradScaler = _d.grad_scaler_class("cpu", __name__)
