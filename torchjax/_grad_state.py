"""Thread-local grad mode flags (imported by the core without importing torchjax.autograd)."""
import threading


class _State(threading.local):
    enabled = True
    inference = False


STATE = _State()
