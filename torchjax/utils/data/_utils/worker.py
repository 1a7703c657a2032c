"""DataLoader worker processes.

JAX is multithreaded and not fork-safe once initialised, so a worker is never forked from the
main process (see launch.py): it runs torchjax on the CPU backend, runs the dataset and
collate_fn, and sends batches back pickled (tensors travel as numpy arrays and become one device
array each in the main process).
"""
import queue
import random
import sys
import traceback
from dataclasses import dataclass

__all__ = ["WorkerInfo", "get_worker_info", "ExceptionWrapper"]


class KeyErrorMessage(str):
    """A str whose repr is itself, so KeyError messages keep their newlines."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception and its traceback text, carried across processes."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            # no frame -> exception -> traceback -> frame cycle: the DataLoader iterator in the
            # traceback is then freed (and shuts its workers down) as soon as it is dropped
            exc = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


_worker_info = None


def get_worker_info():
    """This worker's WorkerInfo inside a DataLoader worker process; None in the main process."""
    return _worker_info


def _generate_state(base_seed, worker_id):
    """numpy's per-worker seed (torch's port of SeedSequence's hashing)."""
    M = 0xFFFFFFFF
    h = [0x43B0D7E5]

    def hash_(v):
        v = (v ^ h[0]) & M
        h[0] = (h[0] * 0x931E8875) & M
        v = (v * h[0]) & M
        return (v ^ (v >> 16)) & M

    def mix(x, y):
        r = (((0xCA01F9DD * x) & M) - ((0x4973F715 * y) & M)) & M
        return (r ^ (r >> 16)) & M

    pool = [hash_(e) for e in (worker_id, base_seed & M, base_seed >> 32, 0)]
    for s in range(4):
        for d in range(4):
            if s != d:
                pool[d] = mix(pool[d], hash_(pool[s]))
    hb, state = 0x8B51F9DD, []
    for v in pool:
        v = (v ^ hb) & M
        hb = (hb * 0x58F38DED) & M
        v = (v * hb) & M
        state.append((v ^ (v >> 16)) & M)
    return state


class _IterableDatasetStopIteration:
    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    pass


def _worker_loop(kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                 drop_last, base_seed, init_fn, worker_id, num_workers):
    global _worker_info
    import multiprocessing
    import numpy as np
    import torchjax
    from .fetch import create_fetcher
    parent = multiprocessing.parent_process()  # the main process, also for fork server children
    try:
        seed = base_seed + worker_id
        random.seed(seed)
        torchjax.manual_seed(seed)
        np.random.seed(_generate_state(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error, fetcher = None, None
        where = f"in DataLoader worker process {worker_id}"
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)
        exhausted = False
        while True:
            try:
                r = index_queue.get(timeout=5.0)
            except queue.Empty:
                if done_event.is_set() or (parent is not None and not parent.is_alive()):
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                exhausted = False
                fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                continue
            if r is None or done_event.is_set():
                break
            if exhausted:
                continue
            idx, index = r
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and kind == "iterable":
                        data, exhausted = _IterableDatasetStopIteration(worker_id), True
                    else:
                        data = ExceptionWrapper(where=where)
            data_queue.put((idx, data))
            del data
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
