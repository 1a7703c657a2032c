"""torch.nn.modules.utils: the argument helpers outside code imports (_pair, _single, ...)."""
import collections.abc

__all__ = []


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return (x,) * n
    parse.__name__ = name
    return parse


_single, _pair, _triple, _quadruple = (_ntuple(1, "_single"), _ntuple(2, "_pair"),
                                       _ntuple(3, "_triple"), _ntuple(4, "_quadruple"))


def _reverse_repeat_tuple(t, n):
    """Reverse t and repeat each element n times: (1, 2), 2 -> (2, 2, 1, 1)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]
