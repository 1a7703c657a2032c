"""Helpers of DataLoader: collation, fetchers, worker processes."""
from . import collate, fetch, launch, worker  # noqa: F401
from .worker import ExceptionWrapper  # noqa: F401

MP_STATUS_CHECK_INTERVAL = 5.0
