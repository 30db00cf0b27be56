"""Feedback for students: one HTML page per student and exercise.

``<folder>/<student>/<exercise>.html`` lists each graded part with its points, and for a part
that lost points what to look at: the message of the failed *visible* check (expected and got),
the error an answer raised, or that a hidden test failed. It never shows a test's source — the
hidden tests stay hidden — nor the instructor's ``integrity:`` notes (those are for the
instructor to judge); other notes (a missing answer cell, a time limit) are shown.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from .grade import GradeReport

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #222; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #ddd; }
td.points { white-space: nowrap; }
.passed { color: #17692b; } .lost { color: #a61b1b; }
pre { background: #f6f6f6; padding: 0.6rem 0.8rem; overflow-x: auto; white-space: pre-wrap; }
"""

_STATUS = {"passed": "passed", "partial": "partial credit", "failed": "failed",
           "timeout": "did not finish in time", "not run": "did not run",
           "rejected": "not accepted (see your instructor)"}


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name).strip("._") or "student"


def render(report: GradeReport) -> str:
    """The feedback page of one report, as HTML."""
    e = html.escape
    title = f"{report.exercise or 'Submission'} — feedback for {report.student}"
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{_STYLE}</style></head><body>", f"<h1>{e(report.exercise or 'Submission')}</h1>",
             f"<p>Student: <b>{e(report.student)}</b>"
             + (f" · file <code>{e(report.path.name)}</code>" if report.path is not None else "") + "</p>"]
    if report.error is not None:
        parts.append(f"<p class='lost'>This file could not be graded: {e(report.error)}</p>")
    elif report.missing:
        parts.append("<p class='lost'>No submission was received for this exercise.</p>")
    else:
        parts.append(f"<p>Total: <b>{report.total:g} / {report.max_points:g}</b> points.</p>")
        parts.append("<table><tr><th>Part</th><th>Points</th><th>Result</th></tr>")
        for cell in report.cells:
            css = "passed" if cell.points == cell.max_points else "lost"
            name = (f"{e(cell.title)} <small>({e(cell.grade_id)})</small>" if cell.title
                    else e(cell.grade_id))
            parts.append(f"<tr><td>{name}</td>"
                         f"<td class='points'>{cell.points:g} / {cell.max_points:g}</td>"
                         f"<td class='{css}'>{e(_STATUS.get(cell.status, cell.status))}</td></tr>")
        parts.append("</table>")
        lost = [c for c in report.cells if c.points != c.max_points]
        if lost:
            parts.append("<h2>What to look at</h2>")
        for cell in lost:
            parts.append(f"<h3>{e(cell.title or cell.grade_id)}</h3>")
            if cell.hidden:
                parts.append("<p>Your answer passes the visible tests but fails a hidden test, "
                             "which tries other inputs. Think about the cases the visible tests "
                             "do not cover (the traps in the text).</p>")
            elif cell.message:
                parts.append(f"<pre>{e(cell.message)}</pre>")
            elif cell.status == "not run":
                parts.append("<p>The test did not run (an earlier cell stopped the notebook).</p>")
    notes = [n for n in report.notes if not n.startswith("integrity:")]
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_feedback(reports, folder) -> list[Path]:
    """Write ``<folder>/<student>/<exercise>.html`` for every report; return the paths written."""
    written = []
    for report in reports:
        target = Path(folder) / _safe(report.student) / f"{_safe(report.exercise or report.path.stem)}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(report), encoding="utf-8")
        written.append(target)
    return written


__all__ = ["render", "write_feedback"]
