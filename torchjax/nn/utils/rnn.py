"""torch.nn.utils.rnn: PackedSequence and the pack/pad helpers (ops in torchjax/_ops/rnn.py)."""
from collections.abc import Iterable
from typing import NamedTuple

import torchjax
from ..._tensor import Tensor
from ..._ops.registry import call, OPS

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _bind(t, fn):
    return None if t is None else fn(t)


class PackedSequence(PackedSequence_):
    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def pin_memory(self):
        return type(self)(self.data.pin_memory(), self.batch_sizes,
                          _bind(self.sorted_indices, lambda t: t.pin_memory()),
                          _bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: t.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move),
                          _bind(self.unsorted_indices, move))

    def cuda(self, *args, **kwargs):
        return self.to(*args, **{"device": "cuda", **kwargs})

    def cpu(self, *args, **kwargs):
        return self.to(*args, **{"device": "cpu", **kwargs})

    def double(self):
        return self.to(dtype=torchjax.double)

    def float(self):
        return self.to(dtype=torchjax.float)

    def half(self):
        return self.to(dtype=torchjax.half)

    def long(self):
        return self.to(dtype=torchjax.long)

    def int(self):
        return self.to(dtype=torchjax.int)

    def short(self):
        return self.to(dtype=torchjax.short)

    def char(self):
        return self.to(dtype=torchjax.int8)

    def byte(self):
        return self.to(dtype=torchjax.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return self.data.is_pinned()


def invert_permutation(permutation):
    if permutation is None:
        return None
    output = torchjax.empty_like(permutation)
    output.scatter_(0, permutation, torchjax.arange(0, permutation.numel()))
    return output


def _batch_sizes(lengths, batch):
    """torch's _pack_padded_sequence checks, then batch_sizes[t] = #sequences longer than t."""
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={batch})")
    if lengths and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                           "if you do not need ONNX exportability.")
    return tuple(sum(n > t for n in lengths) for t in range(lengths[0] if lengths else 0))


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    if isinstance(lengths, Tensor):
        lengths = lengths.to(dtype=torchjax.int64)
    else:
        lengths = torchjax.as_tensor(lengths, dtype=torchjax.int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = torchjax.sort(lengths, descending=True)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    bs = _batch_sizes([int(n) for n in lengths.tolist()], input.shape[0 if batch_first else 1])
    data = call(OPS["_pack_padded"], (input,), (bs, bool(batch_first)))
    return PackedSequence(data, torchjax.tensor(bs, dtype=torchjax.int64), sorted_indices, None)


def _lengths(batch_sizes):
    bs = [int(b) for b in batch_sizes.tolist()]
    return bs, [sum(b > i for b in bs) for i in range(bs[0] if bs else 0)]


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_seq_length}")
        max_seq_length = total_length
    bs, lens = _lengths(sequence.batch_sizes)
    padded = call(OPS["_pad_packed"], (sequence.data,),
                  (tuple(bs), bool(batch_first), padding_value, int(max_seq_length)))
    lengths = torchjax.tensor(lens, dtype=torchjax.int64)
    if sequence.unsorted_indices is not None:
        return (padded.index_select(0 if batch_first else 1, sequence.unsorted_indices),
                lengths[sequence.unsorted_indices])
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    return call(OPS["_pad_sequence"], (sequences,), (bool(batch_first), padding_value,
                                                     padding_side))


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = torchjax.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
