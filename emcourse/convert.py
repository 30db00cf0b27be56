"""Bring a notebook up to the course's display conventions: ``emcourse convert NOTEBOOK…``.

Three edits, each made only where needed, so converting twice changes nothing:

1. **Sliders.** ``from ipywidgets import IntSlider, interact`` loses ``interact`` and the imports
   gain ``from emcourse.widgets import interact``: the notebook's slider cells
   (``interact(show_x, t=IntSlider(...))``) then pre-render their frames for the website and
   store the default figure instead of an ``interactive(children=…)`` repr, with no change to
   the cells themselves.
2. **Alt text.** A notebook that imports ``matplotlib.pyplot`` gets
   ``from emcourse.figures import setup_figures`` and, at the end of that imports cell,
   ``setup_figures()``, so every figure it shows carries alt text.
3. **Kernelspec.** ``metadata.kernelspec`` becomes :data:`KERNELSPEC`, the one ipykernel
   installs, so JupyterLab does not rewrite it (and mark the notebook modified) on open.

Outputs are left as they are: re-execute the notebook afterwards to store the new ones.
A use of ipywidgets the converter does not know (``widgets.interact(…)``, ``interact_manual``,
``interactive(…)``) is reported and left alone.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
WIDGETS_IMPORT = "from emcourse.widgets import interact"
ALT_TEXT_IMPORT = "from emcourse.figures import setup_figures"
ALT_TEXT_CALL = "setup_figures()  # figures shown below: alt text from their titles and labels, compact PNGs"
_UNSUPPORTED = re.compile(r"(?<![\w.])(?:([\w.]+)\.)?(interact_manual|interactive|interact)\s*\(")
_PYPLOT = re.compile(r"^\s*(?:import matplotlib\.pyplot|from matplotlib import pyplot)", re.M)


@dataclass
class Conversion:
    """What :func:`convert_notebook` changed (``changes``) and what it could not (``problems``)."""

    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _parse(source: str):
    try:
        return ast.parse(source)
    except SyntaxError:  # IPython magics: leave such a cell alone
        return None


def _code_cells(nb):
    return [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def _split_interact_import(source: str) -> tuple[str, str | None]:
    """``source`` with ``interact`` taken out of its ``from ipywidgets import …``, and the alias
    it was imported under (None when there is no such import)."""
    tree = _parse(source)
    if tree is None:
        return source, None
    lines = source.split("\n")
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.module == "ipywidgets"):
            continue
        names = [alias for alias in node.names if alias.name == "interact"]
        if not names:
            continue
        alias = names[0].asname or "interact"
        kept = [a for a in node.names if a.name != "interact"]
        replacement = []
        if kept:
            replacement = ["from ipywidgets import " + ", ".join(
                a.name + (f" as {a.asname}" if a.asname else "") for a in kept)]
        lines[node.lineno - 1:node.end_lineno] = replacement
        return "\n".join(lines), alias
    return source, None


def _insert_import(source: str, line: str) -> str:
    """``source`` with the import ``line`` added among the course's own imports (emcourse, emlib)
    in alphabetical order, or after the last import when there are none."""
    tree = _parse(source)
    lines = source.split("\n")
    imports = [n for n in (tree.body if tree else []) if isinstance(n, (ast.Import, ast.ImportFrom))]
    own = [n for n in imports
           if (n.module if isinstance(n, ast.ImportFrom) else n.names[0].name or "").startswith(
               ("emlib", "emcourse"))]
    later = [n for n in own if ast.get_source_segment(source, n) > line]
    if later:
        lines.insert(later[0].lineno - 1, line)
    else:
        at = (own or imports)[-1].end_lineno if (own or imports) else 0
        lines.insert(at, line)
    return "\n".join(lines)


def convert_notebook(nb) -> Conversion:
    """Convert ``nb`` (an nbformat v4 notebook) in place; see the module docstring."""
    result = Conversion()
    cells = _code_cells(nb)
    for index, cell in cells:
        for match in _UNSUPPORTED.finditer(cell.source):
            owner, name = match.groups()
            if name == "interact" and (owner is None or owner.startswith("emcourse")):
                continue  # the imported name, which the import rewrite takes care of
            call = f"{owner}.{name}" if owner else name
            result.problems.append(f"cell {index}: `{call}(…)` is not converted; use "
                                   "emcourse.widgets.interact(function, **sliders)")

    already = any(WIDGETS_IMPORT in cell.source for _, cell in cells)
    for index, cell in cells:
        new_source, alias = _split_interact_import(cell.source)
        if alias is None:
            continue
        line = WIDGETS_IMPORT + ("" if alias == "interact" else f" as {alias}")
        if not already:
            new_source = _insert_import(new_source, line)
            already = True
        cell.source = new_source
        result.changes.append(f"cell {index}: interact now from emcourse.widgets")

    plotting = [(i, c) for i, c in cells if _PYPLOT.search(c.source)]
    if plotting and not any("setup_figures()" in c.source for _, c in cells):
        index, cell = plotting[0]
        source = _insert_import(cell.source, ALT_TEXT_IMPORT)
        cell.source = source.rstrip("\n") + "\n" + ALT_TEXT_CALL
        result.changes.append(f"cell {index}: figures get alt text (setup_figures)")

    if dict(nb.metadata.get("kernelspec", {})) != KERNELSPEC:
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        result.changes.append("kernelspec: " + KERNELSPEC["display_name"])
    return result


def convert_file(path: Path, *, check: bool = False) -> Conversion:
    """Convert the notebook at ``path``; with ``check``, only report (the file is not written)."""
    nb = nbformat.read(path, as_version=4)
    result = convert_notebook(nb)
    if result.changes and not check:
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return result
