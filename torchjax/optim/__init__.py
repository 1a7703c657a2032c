"""torch.optim."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .asgd import ASGD
from .rprop import Rprop
from . import lr_scheduler  # noqa: E402
from . import swa_utils  # noqa: E402

from .lbfgs import LBFGS
from ._adafactor import Adafactor
from ._muon import Muon

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad",
           "Adadelta", "ASGD", "Rprop", "LBFGS", "Adafactor", "Muon",
           "lr_scheduler", "swa_utils"]
