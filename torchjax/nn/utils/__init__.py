"""torch.nn.utils."""
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
from .weight_norm import *  # noqa: F401,F403
from .spectral_norm import *  # noqa: F401,F403
from . import rnn, parametrize, parametrizations  # noqa: F401,E402
