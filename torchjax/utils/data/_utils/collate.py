"""default_collate / default_convert: samples -> batches of tensors.

Numpy samples are stacked on the host and become one device array per batch.
"""
import collections
import copy
import re

import numpy as np

from ...._tensor import Tensor

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "default_collate_err_msg_format"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _torch():
    import torchjax
    return torchjax


def _map_like(data, fn):
    """Apply fn to each value of a mapping, keeping its type where it can be rebuilt."""
    try:
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update({k: fn(k) for k in data})
            return clone
        return type(data)({k: fn(k) for k in data})
    except TypeError:
        return {k: fn(k) for k in data}


def _seq_like(data, items):
    try:
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, v in enumerate(items):
                clone[i] = v
            return clone
        return type(data)(items)
    except TypeError:
        return list(items)


def default_convert(data):
    """Turn numpy arrays (also inside mappings/sequences) into tensors; leave the rest."""
    torch = _torch()
    t = type(data)
    if isinstance(data, torch.Tensor):
        return data
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_", "bytes_"):
        if t.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return torch.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _map_like(data, lambda k: default_convert(data[k]))
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _seq_like(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate a list of samples by the type of its first element (see ``default_collate_fn_map``)."""
    elem = batch[0]
    t = type(elem)
    if collate_fn_map is not None:
        if t in collate_fn_map:
            return collate_fn_map[t](batch, collate_fn_map=collate_fn_map)
        for key in collate_fn_map:
            if isinstance(elem, key):
                return collate_fn_map[key](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _map_like(elem, lambda k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map))
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return t(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        return columns if isinstance(elem, tuple) else _seq_like(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(t))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    return _torch().stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    shapes = {b.shape for b in batch}
    if len(shapes) != 1:  # let stack raise torch's size-mismatch error
        torch = _torch()
        return torch.stack([torch.as_tensor(b) for b in batch], 0)
    return _torch().as_tensor(np.stack(batch))  # stacked on the host: one transfer per batch


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _torch().as_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    torch = _torch()
    return torch.tensor(batch, dtype=torch.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return _torch().tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch: tensors/arrays/numbers -> tensors, containers recurse."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
