"""torch.cpu.amp (deprecated aliases of torch.amp with device 'cpu')."""
from .autocast_mode import autocast
from .grad_scaler import GradScaler
