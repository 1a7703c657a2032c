"""torch.autograd.anomaly_mode: the anomaly switches read by the backward engine.

With check_nan on, the engine raises torch's error when a backward function returns NaN
(``graph.run_backward``). Forward tracebacks are not recorded.
"""
import warnings

STATE = [False, True]  # (enabled, check_nan), process-wide like torch's AnomalyMode


def _check_bool(fn, name, pos, v):
    if not isinstance(v, bool):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be bool, not "
                        f"{type(v).__name__}")


def set_anomaly_enabled(enabled, check_nan=True):
    _check_bool("set_anomaly_enabled", "enabled", 1, enabled)
    _check_bool("set_anomaly_enabled", "check_nan", 2, check_nan)
    STATE[:] = [enabled, check_nan]


def is_anomaly_enabled():
    return STATE[0]


def is_anomaly_check_nan_enabled():
    return STATE[1]


class detect_anomaly:
    """Context manager that turns anomaly detection on (not a decorator, as in torch)."""

    def __init__(self, check_nan=True):
        self.prev, self.prev_check_nan = STATE
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Sets anomaly detection on or off now; used as a context manager it restores on exit."""

    def __init__(self, mode, check_nan=True):
        self.prev, self.prev_check_nan = STATE
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def check_nan(node, outs):
    """torch's engine check: a backward function's outputs must not contain NaN."""
    import jax.numpy as jnp
    for i, g in enumerate(outs):
        if g is not None and bool(jnp.isnan(g._value).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
