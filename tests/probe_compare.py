"""Run ../shared/reference/views_inplace_autograd_probe.py with torch -> torchjax and split both
its output and the reference into blocks keyed by title (object addresses masked)."""
import contextlib
import io
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REF_DIR = os.path.join(HERE, "..", "..", "shared", "reference")
if not os.path.isdir(REF_DIR):
    REF_DIR = os.path.join(HERE, "..", "shared", "reference")


def blocks(md):
    out = {}
    for m in re.finditer(r"\*\*(.+?)\*\*\n```python\n(.*?)\n```", md, re.S):
        out[m.group(1)] = re.sub(r"0x[0-9a-f]+", "0x?", m.group(2))
    return out


def run_probe():
    import torchjax
    from torchjax import _import_hook
    _import_hook.install()
    buf = io.StringIO()
    src = open(os.path.join(REF_DIR, "views_inplace_autograd_probe.py")).read()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, "probe", "exec"), {"__name__": "__probe__"})
    return buf.getvalue()


def reference():
    return open(os.path.join(REF_DIR, "views-inplace-autograd.md")).read()


if __name__ == "__main__" and sys.argv[1:] == ["--raw"]:
    sys.stdout.write(run_probe())
elif __name__ == "__main__":
    ref, got = blocks(reference()), blocks(run_probe())
    ok = [t for t in ref if got.get(t) == ref[t]]
    for t in ref:
        if got.get(t) != ref[t]:
            print(f"--- {t}\n{ref[t].split('# ->')[1]}\n+++ ours:\n{(got.get(t) or '').split('# ->')[-1]}")
    print(f"{len(ok)}/{len(ref)} blocks match")
    if "--write-gaps" in sys.argv:
        import json
        json.dump(sorted(t for t in ref if t not in ok),
                  open(os.path.join(HERE, "probe_known_gaps.json"), "w"), indent=1)
