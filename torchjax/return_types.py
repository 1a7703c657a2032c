"""torch.return_types: the named tuples (structseqs) multi-output ops return.

Each class behaves like torch's PyStructSequence: a tuple subclass built from ONE sequence
(``cls((values, indices))``), fields readable by name, ``n_fields``/``n_sequence_fields``, and
torch's repr::

    torch.return_types.max(
    values=tensor([5., 7.]),
    indices=tensor([1, 0]))
"""

__all__ = ["all_return_types"]
all_return_types = []


def _structseq(name, fields):
    n = len(fields)

    def __new__(cls, sequence=None, dict=None):
        if sequence is None or isinstance(sequence, (str, bytes)) or \
                not hasattr(sequence, "__iter__"):
            raise TypeError("constructor requires a sequence")
        seq = tuple(sequence)
        if len(seq) != n:
            raise TypeError(f"torch.return_types.{name}() takes a {n}-sequence "
                            f"({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    def __reduce__(self):
        return (_rebuild, (name, tuple(self)))

    ns = {"__new__": __new__, "__repr__": __repr__, "__str__": __repr__,
          "__reduce__": __reduce__, "__slots__": (), "__match_args__": fields,
          "n_fields": n, "n_sequence_fields": n, "n_unnamed_fields": 0,
          "__module__": "torch.return_types"}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i), doc=f"Alias for field {i}")
    cls = type(name, (tuple,), ns)
    cls.__qualname__ = name
    return cls


_FIELDS = {
    "aminmax": ("min", "max"),
    "cummax": ("values", "indices"),
    "cummin": ("values", "indices"),
    "frexp": ("mantissa", "exponent"),
    "geqrf": ("a", "tau"),
    "histogram": ("hist", "bin_edges"),
    "histogramdd": ("hist", "bin_edges"),
    "kthvalue": ("values", "indices"),
    "linalg_cholesky_ex": ("L", "info"),
    "linalg_eig": ("eigenvalues", "eigenvectors"),
    "linalg_eigh": ("eigenvalues", "eigenvectors"),
    "linalg_inv_ex": ("inverse", "info"),
    "linalg_ldl_factor": ("LD", "pivots"),
    "linalg_ldl_factor_ex": ("LD", "pivots", "info"),
    "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"),
    "linalg_lu": ("P", "L", "U"),
    "linalg_lu_factor": ("LU", "pivots"),
    "linalg_lu_factor_ex": ("LU", "pivots", "info"),
    "linalg_qr": ("Q", "R"),
    "linalg_slogdet": ("sign", "logabsdet"),
    "linalg_solve_ex": ("result", "info"),
    "linalg_svd": ("U", "S", "Vh"),
    "lu_unpack": ("P", "L", "U"),
    "max": ("values", "indices"),
    "median": ("values", "indices"),
    "min": ("values", "indices"),
    "mode": ("values", "indices"),
    "nanmedian": ("values", "indices"),
    "qr": ("Q", "R"),
    "slogdet": ("sign", "logabsdet"),
    "sort": ("values", "indices"),
    "svd": ("U", "S", "V"),
    "topk": ("values", "indices"),
    "triangular_solve": ("solution", "cloned_coefficient"),
}

for _name, _fields in _FIELDS.items():
    for _n in ((_name,) if _name == "histogramdd" else (_name, _name + "_out")):
        globals()[_n] = _structseq(_n, _fields)
        __all__.append(_n)
        all_return_types.append(globals()[_n])
del _name, _fields, _n


def _rebuild(name, values):
    return globals()[name](values)


def returns(cls):
    """Adapter for ``@op(returns=...)``: the registry calls it with the outputs positionally."""
    return lambda *outs: cls(outs)
