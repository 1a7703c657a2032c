"""Fetchers: turn one index (or a batch of indices) into collated data."""


class _BaseDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation = dataset, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last


class _IterableDatasetFetcher(_BaseDatasetFetcher):
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        super().__init__(dataset, auto_collation, collate_fn, drop_last)
        self.dataset_iter, self.ended = iter(dataset), False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


def _tensor_batch(dataset, collate_fn, indices):
    """TensorDataset + default_collate: one gather per tensor instead of a stack of rows
    (same values, dtype and shape as default_collate of the samples)."""
    from ..dataset import TensorDataset
    from .collate import default_collate
    if type(dataset) is not TensorDataset or collate_fn is not default_collate or not indices:
        return None
    if any(t.requires_grad for t in dataset.tensors):
        return None
    import torchjax
    n = len(dataset)
    if not all(isinstance(i, int) and -n <= i < n for i in indices):
        return None
    idx = torchjax.tensor(indices, dtype=torchjax.int64)
    return [t[idx] for t in dataset.tensors]


class _MapDatasetFetcher(_BaseDatasetFetcher):
    def fetch(self, possibly_batched_index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        fast = _tensor_batch(self.dataset, self.collate_fn, possibly_batched_index)
        if fast is not None:
            return fast
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems:
            data = getitems(possibly_batched_index)
        else:
            data = [self.dataset[i] for i in possibly_batched_index]
        return self.collate_fn(data)


def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _MapDatasetFetcher if kind == "map" else _IterableDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
