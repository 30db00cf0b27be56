"""Cheating, lost points and the gradebook on real submissions of exercise set 00.

Each submission is the released ``exercises/00_em_in_a_nutshell.ipynb`` filled in the way a
student would — honestly, or with one of the cheats of issue 14 — and all of them are graded in
one ``emcourse grade`` run (one kernel each, four at a time) with a roster. Each cheat must score
0 on the cells it affects, or keep its points with an ``integrity:`` note that says what it did.
"""

from __future__ import annotations

import copy
import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from emcourse import cli, execute, grade, markup

ROOT = Path(__file__).resolve().parents[1]
NAME = "00_em_in_a_nutshell"
BLANK = markup.read_notebook(ROOT / "exercises" / f"{NAME}.ipynb")
SOLUTION = markup.read_notebook(ROOT / "solutions" / f"{NAME}.ipynb")
TESTS = ["e-step-test", "m-step-test", "log-likelihood-test", "run-em-test"]
FULL = {"e-step-test": 4, "m-step-test": 3, "log-likelihood-test": 3, "run-em-test": 4}
ZERO = dict.fromkeys(TESTS, 0)
TIMEOUT = 3


def _answer(gid):
    """The solution's answer to ``gid`` as a student would type it (no nbgrader markers)."""
    cell = next(c for c in SOLUTION.cells if markup.grade_id(c) == gid)
    return "\n".join(line for line in cell.source.splitlines() if "### " not in line)


WRONG = {  # answers that run and return plausible shapes, but wrong numbers
    "e-step": "def e_step(heads, n_tosses, theta):\n    return np.full((len(heads), 2), 0.5)",
    "m-step": "def m_step(heads, n_tosses, resp):\n    return np.array([0.5, 0.5])",
    "log-likelihood": "def log_likelihood(heads, n_tosses, theta):\n    return 0.0",
    "run-em": ("def run_em(heads, n_tosses, theta_init, n_iter):\n"
               "    return np.zeros((n_iter + 1, 2)), np.zeros(n_iter + 1)"),
}


def filled(answers=None):
    """The exercise with every answer cell filled in (the solution's answers unless overridden)."""
    nb = copy.deepcopy(BLANK)
    for cell in nb.cells:
        gid = markup.grade_id(cell)
        if markup.is_answer(cell) and cell.cell_type == "code":
            cell.source = (answers or {}).get(gid, _answer(gid))
    return nb


def insert_after(nb, gid, source, metadata=None):
    index = next(i for i, c in enumerate(nb.cells) if markup.grade_id(c) == gid)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source, metadata=metadata or {}))
    return nb


def cell(nb, gid):
    return next(c for c in nb.cells if markup.grade_id(c) == gid)


def remove(nb, gid):
    nb.cells = [c for c in nb.cells if markup.grade_id(c) != gid]
    return nb


CHEATS = {
    # The helpers the tests call, rebound in the notebook and in the module.
    "rebind": """
check_close = check_shape = check_true = check_finite = lambda *args, **kwargs: None
import emcourse.testing
emcourse.testing.check_close = emcourse.testing.check_shape = lambda *args, **kwargs: None
emcourse.testing.check_true = lambda *args, **kwargs: None
""",
    # numpy's comparisons and builtins patched up front ...
    "numpy": """
import builtins, numpy
numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, bool)
numpy.testing.assert_allclose = lambda *args, **kwargs: None
builtins.abs = lambda x: 0 * x
""",
    # Every later cell rewritten into `pass`, and hooks around every cell.
    "transformer": """
ip = get_ipython()
ip.input_transformers_post.append(lambda lines: ["pass\\n"])
ip.events.register("pre_run_cell", lambda *args: None)
class Nothing:
    def visit(self, node):
        return node
ip.ast_transformers.append(Nothing())
""",
}

# ... and from inside an answer, while the test that calls it runs.
PATCHING_E_STEP = """
def e_step(heads, n_tosses, theta):
    import emcourse.testing as t
    t._logical_and_reduce = lambda *args, **kwargs: True
    np.allclose = lambda *args, **kwargs: True
    return np.full((len(heads), 2), 0.5)
"""

# Looking for the instructor's solutions by every route the kernel offers, and running them.
PEEK = """
import glob, json, os, pathlib, sys
import emcourse, emlib
roots = [pathlib.Path(emcourse.__file__).parents[1], pathlib.Path(emlib.__file__).parents[1],
         pathlib.Path.cwd(), pathlib.Path.cwd().parent, pathlib.Path(os.environ.get("PWD", "/nonexistent"))]
roots += [pathlib.Path(p) for p in sys.path + os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
FOUND = sorted({str(p) for root in roots for p in root.parent.glob("*/solutions/00_*.ipynb")}
               | {str(p) for root in roots for p in root.glob("solutions/00_*.ipynb")})
for path in FOUND[:1]:
    for c in json.load(open(path))["cells"]:
        if c["metadata"].get("nbgrader", {}).get("solution"):
            exec("".join(c["source"]))
"""

# The hidden tests' reference result, read from the globals the test cell runs in.
READS_HIDDEN = """
def run_em(heads, n_tosses, theta_init, n_iter):
    try:
        return _ref.thetas, _ref.log_likelihoods      # inside the hidden tests, under nbgrader
    except NameError:
        thetas = np.tile([0.80, 0.52], (n_iter + 1, 1))   # the visible test's numbers, typed in
        return thetas, np.zeros(n_iter + 1)
"""

USES_REFERENCE = """
from emlib.coins import e_step as reference_e_step, m_step as reference_m_step
from emlib import coins

def e_step(heads, n_tosses, theta):
    return reference_e_step(heads, n_tosses, theta)

def m_step(heads, n_tosses, resp):
    return reference_m_step(heads, n_tosses, resp)

def log_likelihood(heads, n_tosses, theta):
    return coins.log_likelihood(heads, n_tosses, theta)
"""

SWALLOW = """
import time
while True:
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        pass
"""


def submissions():
    """{student: notebook}: every case of the issue, built from the released exercise."""
    subs = {"complete": filled(), "blank": copy.deepcopy(BLANK)}

    tamper = copy.deepcopy(BLANK)
    cell(tamper, "e-step").metadata["nbgrader"].update(grade=True, solution=False, points=50)
    cell(tamper, "m-step-test").metadata["nbgrader"]["points"] = 300
    insert_after(tamper, "run-em-test", "pass", {"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 100, "grade_id": "bonus",
        "schema_version": 3}})
    subs["tamper"] = tamper

    for name, source in CHEATS.items():
        subs[name] = insert_after(filled(WRONG), "setup", source)
    subs["midpatch"] = filled(dict(WRONG, **{"e-step": PATCHING_E_STEP}))
    subs["peek"] = insert_after(filled(dict(WRONG, **{"run-em": READS_HIDDEN})), "setup", PEEK)
    subs["reference"] = filled({"e-step": USES_REFERENCE, "m-step": "", "log-likelihood": ""})

    # e_step re-typed in a new cell where the deleted answer cell was; m_step typed above its
    # untouched stub
    retyped = remove(filled(), "e-step")
    insert_after(retyped, "e-step-text", _answer("e-step"))
    cell(retyped, "m-step").source = cell(BLANK, "m-step").source
    insert_after(retyped, "m-step-text", _answer("m-step"))
    subs["retyped"] = retyped

    subs["interrupt"] = insert_after(filled(), "m-step-test", SWALLOW)
    subs["flood"] = insert_after(filled(), "e-step-test", "while True:\n    print('x' * 10_000)")
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("set00")
    files = {}
    for student, nb in submissions().items():
        files[student] = root / "submitted" / student / f"{NAME}.ipynb"
        files[student].parent.mkdir(parents=True)
        nbformat.write(nb, files[student])
    # a student who handed in twice: a copy of the blank and the real thing
    dupe = root / "submitted" / "twice"
    dupe.mkdir()
    nbformat.write(filled(), dupe / f"{NAME}.ipynb")
    nbformat.write(BLANK, dupe / f"Copy of {NAME}.ipynb")
    nbformat.write(BLANK, dupe / f"{NAME} (1).ipynb")
    hashes = {path: grade.file_hash(path) for path in (root / "submitted").rglob("*.ipynb")}
    roster = root / "roster.txt"
    roster.write_text("\n".join([*files, "twice", "absent"]) + "\n")
    csv_path = root / "grades.csv"
    start = time.monotonic()
    code = cli.main(["--course", str(ROOT), "grade", str(root / "submitted"), "--roster",
                     str(roster), "--csv", str(csv_path), "--timeout", str(TIMEOUT), "--jobs", "4"])
    seconds = time.monotonic() - start
    with open(csv_path, newline="", encoding="utf-8") as f:
        table = {row["student"]: row for row in csv.DictReader(f)}
    return {"code": code, "table": table, "hashes": hashes, "seconds": seconds}


def points(row):
    return {gid: float(row[f"{NAME}:{gid}"]) for gid in TESTS}


def integrity(row):
    return [note for note in row["notes"].split(" | ") if note.startswith("integrity:")]


def test_an_honest_complete_submission_scores_full_marks_without_notes(graded):
    row = graded["table"]["complete"]
    assert points(row) == FULL and (row["total"], row["max"], row["notes"]) == ("14", "14", "")


def test_a_blank_submission_scores_zero(graded):
    assert points(graded["table"]["blank"]) == ZERO


def test_tampered_markings_earn_nothing_and_are_flagged(graded):
    row = graded["table"]["tamper"]
    assert points(row) == ZERO and (row["total"], row["max"]) == ("0", "14")   # no 150 free points
    found = " ".join(integrity(row))
    assert "cell 'e-step'" in found and "grade, 50 points" in found
    assert "cell 'm-step-test'" in found and "300 points" in found
    assert "added cell 'bonus'" in found and "100 points" in found


@pytest.mark.parametrize("student, flagged", [
    ("rebind", ["rebinds check_close", "patches emcourse.testing.check_close"]),
    ("numpy", ["patches numpy.allclose", "replaced numpy.allclose", "replaced builtins.abs"]),
    ("transformer", ["get_ipython()", "registered an IPython input transformer",
                     "registered an IPython AST transformer", "pre_run_cell callback"]),
    ("midpatch", ["patches emcourse.testing._logical_and_reduce", "patches numpy.allclose",
                  "fails when judged again outside it"]),
])
def test_tests_cannot_be_fooled_and_the_attempt_is_flagged(graded, student, flagged):
    row = graded["table"][student]
    assert points(row) == ZERO, (student, row["notes"])
    found = " ".join(integrity(row))
    for fragment in flagged:
        assert fragment in found, (fragment, found)


def test_the_kernel_cannot_reach_the_solutions_or_the_hidden_tests_variables(graded):
    row = graded["table"]["peek"]
    # emcourse.__file__, emlib.__file__, the working directory, PWD, sys.path and PYTHONPATH
    # all lead into the sandbox; the hidden test's _ref is not in the answer's globals
    assert points(row) == ZERO, row["notes"]
    found = " ".join(integrity(row))
    assert "uses __file__ (file access)" in found and "mentions 'solutions'" in found
    assert "reads _ref, a name only the hidden tests define" in found


def test_importing_the_forbidden_reference_keeps_the_points_and_is_flagged(graded):
    row = graded["table"]["reference"]
    assert points(row) == FULL
    assert integrity(row) == ["integrity: answer cell 'e-step': imports emlib.coins.e_step, "
                              "which this exercise forbids"]


def test_a_retyped_answer_is_not_shadowed_by_the_stub(graded):
    row = graded["table"]["retyped"]
    assert points(row) == FULL
    assert "the answer cell 'e-step' is missing; e_step is defined in a cell the student added" in row["notes"]
    assert ("the answer cell 'm-step' is still the blank stub; it was not run, because a cell "
            "above it already defines m_step") in row["notes"]
    assert not integrity(row)


def test_a_swallowed_interrupt_ends_the_kernel_instead_of_costing_every_cell_its_timeout(graded):
    row = graded["table"]["interrupt"]
    assert points(row) == dict(ZERO, **{"e-step-test": 4, "m-step-test": 3})
    assert "did not stop when interrupted" in row["notes"] and "kernel was ended" in row["notes"]
    # the whole batch took about one timeout plus the grace period for it, not one per cell
    assert graded["seconds"] < 60


def test_a_flood_of_output_is_stopped_and_the_rest_graded(graded):
    row = graded["table"]["flood"]
    assert points(row) == FULL and re.search(r"cell \d+ stopped after 3 s", row["notes"])


def test_roster_and_duplicates(graded):
    absent = graded["table"]["absent"]
    assert (absent["total"], absent["max"], absent["notes"]) == ("0", "14", "missing: no submission")
    twice = graded["table"]["twice"]
    assert twice["total"] == "14" and twice["file"].endswith(f"twice/{NAME}.ipynb")
    assert f"duplicate submissions {NAME} (1).ipynb, Copy of {NAME}.ipynb were not graded" in twice["notes"]


def test_grading_never_writes_to_a_submission(graded):
    for path, digest in graded["hashes"].items():
        assert grade.file_hash(path) == digest, path
    assert graded["code"] == 0


FLOOD_SCRIPT = """
import sys
from pathlib import Path
import nbformat
from emcourse import execute
cells = [nbformat.v4.new_code_cell("while True:\\n    print('x' * 10_000)", metadata={"emcourse": {
             "trusted": False, "role": "student", "label": "flood"}}),
         nbformat.v4.new_code_cell("print('after')", metadata={"emcourse": {
             "trusted": True, "role": "test", "label": "after"}})]
sandbox = execute.Sandbox(Path(sys.argv[1]), [Path(sys.argv[1])], [], "flood.ipynb", b"{}")
try:
    run = execute.run(nbformat.v4.new_notebook(cells=cells), sandbox, timeout=3, notebook_timeout=60)
finally:
    sandbox.close()
stored = sum(len(o.get("text", "")) for o in run.cells[0].outputs)
# the peak resident size of this process (VmHWM; ru_maxrss would include the parent's, from fork)
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(run.cells[0].status, run.cells[1].outputs[0].text.strip(), stored, peak_kb // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_a_flood_of_output_costs_the_grader_no_memory(tmp_path):
    # Without the caps (in the kernel, and on the grader's side), three seconds of printing took
    # the grader past 1 GB; here the whole grading process stays near its size at start.
    result = subprocess.run([sys.executable, "-c", FLOOD_SCRIPT, str(tmp_path)], capture_output=True,
                            text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    status, after, stored, peak_mb = result.stdout.split()
    assert (status, after) == ("timeout", "after"), result.stderr
    assert int(stored) <= execute.OUTPUT_LIMIT + 200 and int(peak_mb) < 250, result.stdout


def test_validate_tells_a_student_what_passes_and_what_the_grader_will_flag(tmp_path, capsys):
    one_wrong = filled({"m-step": WRONG["m-step"]})
    forbidden = submissions()["reference"]
    retyped = submissions()["retyped"]
    paths = []
    for name, nb in (("wrong", one_wrong), ("forbidden", forbidden), ("retyped", retyped)):
        paths.append(tmp_path / name / f"{NAME}.ipynb")
        paths[-1].parent.mkdir()
        nbformat.write(nb, paths[-1])
    code = cli.main(["--course", str(ROOT), "validate", *map(str, paths), "--timeout", str(TIMEOUT)])
    out = capsys.readouterr().out
    wrong, forbidden_out, retyped_out = out.split(f"{tmp_path}")[1:]
    assert code == 1      # one visible test fails
    assert "✓ 1 · The E-step (e-step-test, 4 points)" in wrong
    assert "✗ 2 · The M-step (m-step-test, 3 points): theta after one iteration" in wrong
    assert "expected [0.71, 0.58]" in wrong and "got [0.5, 0.5]" in wrong
    assert "2 of 4 visible tests pass." in wrong     # run_em uses the wrong m_step too
    assert "4 of 4 visible tests pass." in forbidden_out
    assert "warning: integrity: answer cell 'e-step': imports emlib.coins.e_step" in forbidden_out
    assert "the grader will flag this for your instructor" in forbidden_out
    assert "warning: the answer cell 'e-step' is missing; e_step is defined" in retyped_out
    assert "warning: the answer cell 'm-step' is still the blank stub" in retyped_out
    for path in paths:     # validate, like grade, never writes to the notebook
        assert nbformat.read(path, 4) is not None
