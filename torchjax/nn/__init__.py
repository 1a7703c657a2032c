"""torch.nn: modules, parameters, functional, init and utils."""
from .modules import *  # noqa: F401,F403
from .parameter import Parameter, Buffer, UninitializedParameter, UninitializedBuffer  # noqa: F401
from . import functional, init, utils  # noqa: F401,E402
