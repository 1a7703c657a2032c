"""Each compat_suite/programs/*.py prints the same under torch and under `python -m torchjax`."""
import pytest

from compat_suite import programs


@pytest.mark.parametrize("name", programs.programs())
def test_program(name):
    why = programs.check(name)
    if why:
        pytest.fail(why, pytrace=False)


def test_tolerant_diff():
    tol = (1e-5, 1e-6)
    assert programs.diff("x tensor([1.000000, -2.5e-08])\n", "x tensor([1.000001, -2.6e-08])\n", tol) == ""
    assert programs.diff("a 1.0\n", "a 1.1\n", tol).startswith("line 1")
    assert programs.diff("a 1.0\n", "b 1.0\n", tol)
    assert programs.diff("nan inf -inf\n", "nan inf -inf\n", tol) == ""
    assert programs.diff("1\n2\n", "1\n", None) == "line 2: only torch prints: 2"
    assert programs.diff("1.0\n", "1.0000001\n", None)
