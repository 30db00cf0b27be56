r"""Stored notebooks as a static page shows them: math, sliders, alt text, no live-only widgets.

:func:`prepare_notebook` rewrites a copy of a stored notebook before Sphinx (myst-nb) reads it:

- in Markdown cells, a line break inside ``$…$`` or ``$$…$$`` becomes a space
  (:func:`join_math_lines`): Jupyter takes the math out before it parses the Markdown, myst
  parses first, so a formula wrapped at ``+ \sum_n …`` would start a list and stay raw TeX;

- an output carrying :data:`emcourse.widgets.SLIDER_MIMETYPE` becomes ``text/html``: the default
  frame, a range input per slider and the frames' list, which ``book_static/slider.js`` swaps in
  as the slider moves (the frames are written once, named by their hash, under ``_static/sliders``);
- any other ipywidgets output (a bare ``ipywidgets.interact``, stored before the notebook was
  converted) loses its widget view, which needs a kernel or a CDN, and its
  ``interactive(children=…)`` repr; its ``image/png``, if any, stays — and a warning says so;
- ``metadata.widgets`` (saved widget state) is dropped, so no page loads the widget manager;
- the alt text of every figure (``metadata["image/png"]["alt"]``) is collected by the image's hash,
  for :func:`apply_alt_text` to put on the page's ``<img>``, since myst-nb reads only width and
  height from an output's metadata.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .widgets import SLIDER_MIMETYPE

WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
MISSING_ALT = "A figure from this notebook (no description was stored with it)."


@dataclass
class Prepared:
    """What :func:`prepare_notebook` found: alt text by image hash, sliders, and warnings."""

    alt_text: dict[str, str] = field(default_factory=dict)
    sliders: int = 0
    warnings: list[str] = field(default_factory=list)


def image_hash(png_base64: str) -> str:
    """The name myst-nb gives an image output's file: the SHA-256 of its bytes."""
    return hashlib.sha256(base64.b64decode(png_base64)).hexdigest()


def _write_frame(png_base64: str, frames_dir: Path) -> str:
    """Write a frame as ``<sha256>.png`` in ``frames_dir`` (once) and return its file name."""
    data = base64.b64decode(png_base64)
    name = hashlib.sha256(data).hexdigest()[:32] + ".png"
    path = frames_dir / name
    if not path.exists():
        path.write_bytes(data)
    return name


def slider_html(record: dict, frames_dir: Path, frames_url: str, slider_id: str) -> str:
    """The HTML of one pre-rendered slider: the default frame, a range input per slider, the
    printed text of the frame, and the frames as JSON for ``slider.js``."""
    frames = []
    for frame in record["frames"]:
        src = None if frame["image"] is None else frames_url + _write_frame(frame["image"], frames_dir)
        frames.append({"src": src, "alt": frame["alt"], "text": frame["text"]})
    default = frames[record["default"]]
    controls, notes = [], []
    for k, slider in enumerate(record["sliders"]):
        labels = slider["labels"]
        input_id = f"{slider_id}-{k}"
        label = f'<label for="{input_id}">{html.escape(slider["label"])}</label>'
        if slider.get("kind") == "choice":  # a Dropdown or buttons: a list of its options
            options = "".join(f'<option value="{i}"{" selected" if i == slider["default"] else ""}>'
                              f"{html.escape(text)}</option>" for i, text in enumerate(labels))
            controls.append(f'<div class="emcourse-slider-control">{label}'
                            f'<select id="{input_id}">{options}</select></div>')
        else:
            controls.append(
                f'<div class="emcourse-slider-control">{label}<input type="range" id="{input_id}" '
                f'min="0" max="{len(labels) - 1}" step="1" value="{slider["default"]}" '
                f'aria-valuetext="{html.escape(labels[slider["default"]])}" '
                f'data-labels="{html.escape(json.dumps(labels))}">'
                f'<output for="{input_id}">{html.escape(labels[slider["default"]])}</output></div>')
        if len(labels) < slider["count"]:
            notes.append(f"{html.escape(slider['label'])}: {len(labels)} of its {slider['count']} "
                         f"values ({html.escape(slider['first'])} to {html.escape(slider['last'])})")
    image = ("" if default["src"] is None else
             f'<img class="emcourse-slider-image" src="{html.escape(default["src"])}" '
             f'alt="{html.escape(default["alt"])}">')
    text = "" if not any(f["text"] for f in frames) else (
        f'<pre class="emcourse-slider-text" aria-live="polite">{html.escape(default["text"])}</pre>')
    note = ("Pre-rendered: " + "; ".join(notes) + ". Run the notebook to try every value."
            if notes else "Pre-rendered for every value; run the notebook to change the code too.")
    data = json.dumps({"shape": record["shape"], "frames": frames}).replace("</", "<\\/")
    return (f'<div class="emcourse-slider" id="{slider_id}">'
            f'<div class="emcourse-slider-controls">{"".join(controls)}</div>'
            f'<figure class="emcourse-slider-figure">{image}{text}</figure>'
            f'<p class="emcourse-slider-note">{note}</p>'
            f'<script type="application/json" class="emcourse-slider-frames">{data}</script></div>')


_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_MATH = re.compile(r"(?<!\\)(\$\$.+?(?<!\\)\$\$|\$(?!\$).+?(?<!\\)\$)", re.S)


def join_math_lines(markdown: str) -> str:
    """``markdown`` with every line break inside ``$…$`` / ``$$…$$`` replaced by a space, outside
    code blocks and code spans; a formula with a ``%`` comment or a blank line is left alone."""
    def join(match):
        math = match.group(0)
        if "\n" not in math or "%" in math or re.search(r"\n\s*\n", math):
            return math
        return re.sub(r"[ \t]*\n[ \t]*", " ", math)

    def outside_code_spans(text):
        pieces, at = [], 0
        for span in _CODE_SPAN.finditer(text):
            pieces += [_MATH.sub(join, text[at:span.start()]), span.group(0)]
            at = span.end()
        return "".join(pieces) + _MATH.sub(join, text[at:])

    pieces, at = [], 0
    for fence in _FENCE.finditer(markdown):
        pieces += [outside_code_spans(markdown[at:fence.start()]), fence.group(0)]
        at = fence.end()
    return "".join(pieces) + outside_code_spans(markdown[at:])


def prepare_notebook(nb, *, name: str, frames_dir: Path, frames_url: str) -> Prepared:
    """Rewrite ``nb`` (a stored notebook, modified in place) for the static page; see the module
    docstring. ``frames_url`` is the URL of ``frames_dir`` from the notebook's page."""
    result = Prepared()
    live_only, no_alt = [], []
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = join_math_lines(cell.source)
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is None:
                continue
            if SLIDER_MIMETYPE in data:
                result.sliders += 1
                slider_id = f"slider-{name}-{result.sliders}".replace("_", "-")
                output["data"] = {"text/html": slider_html(data[SLIDER_MIMETYPE], frames_dir,
                                                           frames_url, slider_id)}
                output["metadata"] = {}
                continue
            if WIDGET_VIEW_MIMETYPE in data:
                data.pop(WIDGET_VIEW_MIMETYPE)
                if str(data.get("text/plain", "")).startswith(("interactive(", "Slider (")):
                    data.pop("text/plain")
                live_only.append(str(index))
            if "image/png" in data:
                alt = output.get("metadata", {}).get("image/png", {}).get("alt")
                if not alt:
                    no_alt.append(str(index))
                result.alt_text[image_hash(data["image/png"])] = alt or MISSING_ALT
    if live_only:
        result.warnings.append(f"{name}: cells {', '.join(live_only)} hold a live widget with no "
                               "pre-rendered frames (the page shows its default figure if it has "
                               "one); convert the notebook (`emcourse convert`) and re-execute it")
    if no_alt:
        result.warnings.append(f"{name}: {len(no_alt)} figures (cells {', '.join(sorted(set(no_alt), key=int))}) "
                               "have no alt text; convert the notebook (`emcourse convert`) and "
                               "re-execute it")
    return result


def apply_alt_text(doctree, alt_text: dict[str, str]) -> int:
    """Set the alt text of every image node whose file (``<sha256>.png``) is in ``alt_text``;
    return how many were set. Used from Sphinx's ``doctree-read`` event."""
    from docutils import nodes

    done = 0
    for node in doctree.findall(nodes.image):
        stem = Path(str(node.get("uri", ""))).stem
        if stem in alt_text and not node.get("alt"):
            node["alt"] = alt_text[stem]
            done += 1
    return done
