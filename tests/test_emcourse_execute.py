"""How grading kernels start: forked from a zygote (Linux) or as new processes, fresh either way.

Each property of a forked kernel is checked against the plausible slip in ``emcourse.kernel``
that would break it (``MUTANTS``): the check is run once more with the slip written into the
kernel files the sandbox and the zygote get, and must then fail.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from emcourse import execute

pytestmark = pytest.mark.skipif(not execute.FORK, reason="kernels are forked on Linux only")

# What a student cell reports about the kernel it runs in, as one JSON line.
PROBE = """\
import json, os, stat, subprocess, sys
import numpy as np
import emcourse.testing
print(json.dumps({
    "pid": os.getpid(), "parent": os.getppid(),
    "draw": float(np.random.rand()),
    "false_exits_1": subprocess.run(["false"]).returncode == 1,
    "stdin_is_devnull": stat.S_ISCHR(os.fstat(0).st_mode),
    "testing_file": emcourse.testing.__file__,
    "zygote_files": sorted(n for n, m in sys.modules.items()
                           if "emcourse-zygote-" in str(getattr(m, "__file__", "") or "")),
    "patched": hasattr(np, "left_by_an_earlier_kernel"),
}))
np.left_by_an_earlier_kernel = True
"""

# Slips in emcourse/kernel.py, each with the probe's property it breaks.
MUTANTS = {
    "numpy's global state is not reseeded": (
        '            sys.modules["numpy"].random.seed()     # not the zygote\'s state, shared by every kernel\n',
        "            pass\n", lambda a, b: a["draw"] != b["draw"]),
    "SIGCHLD stays ignored in the kernel": (
        "        _setsignal(signal.SIGCHLD, signal.SIG_DFL)",
        "        pass", lambda a, b: b["false_exits_1"]),
    "the zygote's pipes stay open in the kernel": (
        "        for fd in (0, 1, 2):", "        for fd in (2,):",
        lambda a, b: b["stdin_is_devnull"]),
    "the zygote's emcourse is kept": (
        "            del sys.modules[name]\n", "            pass\n",
        lambda a, b: not b["zygote_files"]),
}


def _probe_cell():
    return nbformat.v4.new_code_cell(PROBE, metadata={"emcourse": {
        "trusted": False, "role": "student", "label": "probe"}})


def _report(hidden, cells) -> list[dict] | None:
    """Run ``cells`` in a new sandbox hiding ``hidden``: the probe's reports, one per cell that
    printed one, or None if a cell failed."""
    sandbox = execute.Sandbox(hidden, [hidden], [], "probe.ipynb", b"{}")
    try:
        run = execute.run(nbformat.v4.new_notebook(cells=cells), sandbox, timeout=60,
                          notebook_timeout=120)
        lib = str(sandbox.lib)
    finally:
        sandbox.close()
    reports = []
    for index in range(len(cells)):
        cell_run = run.cells.get(index)
        if cell_run is None or cell_run.status != "ok":
            return None
        text = "".join(o.get("text", "") for o in cell_run.outputs).strip()
        if text:
            reports.append(dict(json.loads(text.splitlines()[-1]), lib=lib))
    return reports


def _fresh(a: dict, b: dict) -> bool:
    """Two kernels graded one after the other: new processes that share nothing."""
    return (a["pid"] != b["pid"] and a["draw"] != b["draw"] and not b["patched"]
            and b["false_exits_1"] and b["testing_file"].startswith(b["lib"] + os.sep))


def _fresh_fork(a: dict, b: dict) -> bool:
    """...and, forked, with nothing of the zygote's but its memory."""
    return _fresh(a, b) and b["stdin_is_devnull"] and not b["zygote_files"]


def test_forked_kernels_are_fresh_processes_of_a_zygote_that_ran_no_student_code(tmp_path):
    (a,), (b,) = _report(tmp_path, [_probe_cell()]), _report(tmp_path, [_probe_cell()])
    assert _fresh_fork(a, b), (a, b)
    assert a["parent"] == b["parent"] != os.getpid()          # both forked by the same zygote


@pytest.mark.parametrize("slip", sorted(MUTANTS))
def test_each_slip_in_the_forked_kernel_breaks_its_property(tmp_path, monkeypatch, slip):
    old, new, holds = MUTANTS[slip]
    write = execute._write_kernel_files

    def write_with_slip(lib, launcher):
        write(lib, launcher)
        path = lib / "emcourse" / "kernel.py"
        source = path.read_text(encoding="utf-8")
        assert old in source, f"the mutant of {slip!r} no longer matches emcourse/kernel.py"
        path.write_text(source.replace(old, new), encoding="utf-8")

    monkeypatch.setattr(execute, "_write_kernel_files", write_with_slip)
    zygotes = {}
    monkeypatch.setattr(execute, "_ZYGOTES", zygotes)   # a zygote of its own, with the slip
    try:
        a, b = _report(tmp_path, [_probe_cell()]), _report(tmp_path, [_probe_cell()])
    finally:
        for zygote in zygotes.values():
            zygote.close()
    # the slip either breaks its property or the kernel altogether
    assert not (a and b) or not (holds(a[0], b[0]) or _fresh_fork(a[0], b[0]))


def test_a_kernel_that_kills_its_zygote_does_not_stop_the_next_one(tmp_path):
    kill = nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
                                     metadata={"emcourse": {"trusted": False, "role": "student",
                                                            "label": "kill"}})
    (before,) = _report(tmp_path, [_probe_cell()])
    assert _report(tmp_path, [kill]) in (None, [])   # it ends with its zygote, maybe after replying
    (after,) = _report(tmp_path, [_probe_cell()])
    assert after["parent"] != before["parent"] and _fresh_fork(before, after)


def test_without_fork_each_kernel_is_a_new_python_started_by_the_grader(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "FORK", False)
    (a,), (b,) = _report(tmp_path, [_probe_cell()]), _report(tmp_path, [_probe_cell()])
    assert a["parent"] == b["parent"] == os.getpid() and _fresh(a, b)


def test_kernels_end_with_their_zygote_even_when_it_is_killed(tmp_path):
    """No kernel outlives the grading: a kernel is killed with the zygote that forked it (the
    slip: no PR_SET_PDEATHSIG, and the kernel of a killed zygote lives on, orphaned)."""
    import time

    sandbox = execute.Sandbox(tmp_path, [tmp_path], [], "probe.ipynb", b"{}")
    environment = execute.kernel_environment([tmp_path])
    zygote = execute._Zygote(environment)
    try:
        pid = zygote.fork(sandbox.lib, sandbox.work,
                          sandbox.kernel_arguments(str(sandbox.root / "connection.json")), environment)
        os.kill(pid, 0)                                    # running
        zygote.process.kill()
        zygote.process.wait()
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.killpg(pid, 9)
            pytest.fail("the kernel outlived its zygote")
    finally:
        zygote.close()
        sandbox.close()
