"""Grad mode switches: thread-local like torch's, usable as context managers and decorators."""
import functools
from .._grad_state import STATE


def is_grad_enabled():
    return STATE.enabled


def is_inference_mode_enabled():
    return STATE.inference


class _Mode:
    """Base: subclasses set self._target in __init__; works as a decorator too."""

    def __call__(self, fn):
        if isinstance(fn, type):
            raise TypeError("decorating classes is not supported")

        @functools.wraps(fn)
        def run(*a, **k):
            with self.__class__(*self._args):
                return fn(*a, **k)
        return run

    def __enter__(self):
        self._prev = (STATE.enabled, STATE.inference)
        self._apply()
        return None

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self._prev
        return False

    def clone(self):
        return self.__class__(*self._args)


class no_grad(_Mode):
    _args = ()

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if callable(fn):  # used as @no_grad without parentheses
            return self(fn)
        return self

    def __init__(self, fn=None):
        pass

    def _apply(self):
        STATE.enabled = False


class enable_grad(no_grad):
    def _apply(self):
        STATE.enabled = True


class set_grad_enabled(_Mode):
    def __init__(self, mode):
        self._args = (mode,)
        self._prev = (STATE.enabled, STATE.inference)
        STATE.enabled = bool(mode)  # takes effect on call, like torch

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self._prev
        return False

    def __call__(self, fn):
        STATE.enabled = self._prev[0]
        return super().__call__(fn)


class inference_mode(_Mode):
    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self._args = (True,)
            return self(mode)
        return self

    def __init__(self, mode=True):
        if not callable(mode):
            self._args = (mode,)

    def _apply(self):
        if self._args[0]:
            STATE.enabled, STATE.inference = False, True
