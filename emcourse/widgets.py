"""Sliders that still work where no kernel runs: ``interact`` with pre-rendered frames.

``emcourse.widgets.interact(show, t=IntSlider(...))`` is a drop-in for ``ipywidgets.interact``
in the lecture notebooks. It displays one output whose bundle holds

- ``application/vnd.jupyter.widget-view+json`` — the live ipywidgets slider, which JupyterLab
  shows when a kernel is running (its renderer ranks first);
- ``image/png`` with alt text — the figure at the sliders' default values, which JupyterLab shows
  for a stored notebook (the widget renderer is skipped for untrusted outputs and there is no
  widget model), as do nbconvert and GitHub, instead of ``interactive(children=…)``;
- ``application/vnd.emcourse.slider+json`` (:data:`SLIDER_MIMETYPE`) — small PNGs of the
  figure for every slider value, or an evenly spaced subset that keeps the ends and the default
  when there are more than ``max_frames`` combinations, with each frame's alt text and printed
  text. JupyterLab ignores a mimetype it has no renderer for; ``emcourse book`` turns it into an
  HTML slider that swaps the images, so the course website keeps its interactivity;
- ``text/plain`` — one line saying what the slider does.

The frames are drawn by calling the slider's function once per value with ``plt.show`` standing
in to save the figure instead of displaying it, so the function must be pure: the same values,
the same figure. Frame ``i`` is the C-order (last slider fastest) combination of the sliders'
recorded values, as :func:`frame_index` computes.

ipywidgets and matplotlib are imported inside the functions.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import itertools
import math
import os
from numbers import Integral

from . import figures

SLIDER_MIMETYPE = "application/vnd.emcourse.slider+json"
RECORD_VERSION = 1
FRAME_DPI = 64  # frames: about 500 px wide for an 8-inch figure, 10–30 kB each as palette PNGs
DEFAULT_MAX_FRAMES = 12


def interact(function=None, /, *, max_frames: int = DEFAULT_MAX_FRAMES, frame_dpi: float = FRAME_DPI,
             **sliders):
    """Show ``function``'s figure with sliders, live in a kernel and pre-rendered for the page.

    Parameters
    ----------
    function : callable
        Draws one figure from the sliders' values (keyword arguments named like ``sliders``)
        and calls ``plt.show()``; it may also print a few lines. Without it, ``interact``
        returns a decorator, like ``ipywidgets.interact``.
    max_frames : int
        Most frames recorded for the website (combinations of slider values), ≥ 1.
    frame_dpi : float
        Resolution of the recorded frames.
    **sliders : ipywidgets.IntSlider, FloatSlider, SelectionSlider, Dropdown, RadioButtons or ToggleButtons
        One control per argument of ``function``, each with a finite set of values.

    Returns
    -------
    callable
        ``function`` itself, as ``ipywidgets.interact`` returns it (end the line with ``;``).
    """
    if function is None:
        return lambda f: interact(f, max_frames=max_frames, frame_dpi=frame_dpi, **sliders)
    recording = records_frames()
    record = record_frames(function, sliders, max_frames=max_frames if recording else 1,
                           frame_dpi=frame_dpi)
    default = record.pop("_default_png")

    import ipywidgets
    from IPython.display import display

    frame = record["frames"][record["default"]]
    widget = ipywidgets.interactive(_drawn_once(function, default, frame), **sliders)
    data = dict(widget._repr_mimebundle_())
    data["text/plain"] = summary(record, recording)
    if recording:
        data[SLIDER_MIMETYPE] = record
    metadata = {}
    if default is not None:
        data["image/png"] = default
        metadata["image/png"] = {"alt": record["frames"][record["default"]]["alt"]}
    display(data, raw=True, metadata=metadata)
    return function


def _drawn_once(function, default_png, frame: dict):
    """``function`` for the live widget, whose first call (ipywidgets makes it at the sliders'
    defaults as the widget is built) shows the default figure already drawn for the record
    instead of drawing it a second time; every later call, on a slider move, draws live."""
    if default_png is None:
        return function
    from IPython.display import Image, display

    pending = [True]

    @functools.wraps(function)
    def live(**kwargs):
        if pending:
            pending.clear()
            display(Image(data=base64.b64decode(default_png), format="png"),
                    metadata={"image/png": {"alt": frame["alt"]}})
            print(frame["text"], end="")
            return None
        return function(**kwargs)

    return live


def records_frames() -> bool:
    """Whether :func:`interact` pre-renders frames here, from ``EMCOURSE_FRAMES``.

    ``1``: always; ``0``: never (the test suite sets it: nbval does not compare slider cells);
    unset or ``auto``: unless the kernel belongs to a Jupyter server session (JupyterLab sets
    ``JPY_SESSION_NAME``), where a student moves the live slider and needs no frames. Notebooks
    stored with ``jupyter nbconvert --execute`` therefore record them.
    """
    setting = os.environ.get("EMCOURSE_FRAMES", "auto").strip().lower()
    if setting in ("1", "on", "yes", "true"):
        return True
    if setting in ("0", "off", "no", "false"):
        return False
    if setting != "auto":
        raise ValueError(f"EMCOURSE_FRAMES must be 1, 0 or auto, got {setting!r}")
    return "JPY_SESSION_NAME" not in os.environ


def summary(record: dict, recorded: bool = True) -> str:
    """One line for text-only front ends: the sliders, their ranges and the frames recorded."""
    parts = []
    for slider in record["sliders"]:
        parts.append(f"{slider['label']} from {slider['first']} to {slider['last']}")
    frames = (f"{len(record['frames'])} pre-rendered frames for the course website" if recorded
              else "no frames pre-rendered here")
    return f"Slider ({'; '.join(parts)}): move it in a running notebook; {frames}."


def slider_values(name: str, slider) -> tuple[list, list[str]]:
    """Every value ``slider`` can take and its readout label, smallest first.

    IntSlider: ``min, min + step, …, max``; FloatSlider: the same on the slider's step grid;
    SelectionSlider, Dropdown, RadioButtons, ToggleButtons: their options. Anything else is a
    TypeError naming the argument.
    """
    import ipywidgets

    if isinstance(slider, _choice_controls()):
        labels = [str(label) for label in slider._options_labels]
        return list(slider._options_values), labels
    if isinstance(slider, (ipywidgets.IntSlider, ipywidgets.FloatSlider)):
        low, high, step = slider.min, slider.max, slider.step
        if not (step and step > 0) or not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"slider {name!r} needs a finite range and a positive step, got "
                             f"min={low}, max={high}, step={step}")
        count = int(math.floor((high - low) / step + 1e-9)) + 1
        if isinstance(slider, ipywidgets.IntSlider):
            values = [int(low + i * step) for i in range(count)]
        else:
            values = [float(f"{low + i * step:.12g}") for i in range(count)]
        fmt = slider.readout_format or ("d" if isinstance(slider, ipywidgets.IntSlider) else ".2f")
        return values, [format(v, fmt) for v in values]
    raise TypeError(f"slider {name!r} must be an ipywidgets IntSlider, FloatSlider, "
                    "SelectionSlider, Dropdown, RadioButtons or ToggleButtons (a finite set of "
                    f"values), got {type(slider).__name__}")


def _choice_controls() -> tuple:
    """The ipywidgets controls that choose among options (the page shows a list for all but the
    SelectionSlider)."""
    import ipywidgets

    return (ipywidgets.SelectionSlider, ipywidgets.Dropdown, ipywidgets.RadioButtons,
            ipywidgets.ToggleButtons)


def frame_counts(sizes: list[int], max_frames: int) -> list[int]:
    """How many values of each slider to record so that their product is at most ``max_frames``.

    Every value while that fits. Otherwise the slider with the most values is thinned first
    (down to its two ends, if need be), then the next: a slider with a few discrete values (the
    five topics) usually matters whole, a long one (the number of words) reads well thinned. A
    5-value and a 26-value slider under 12 frames get 5 × 2, a 64-value slider 12.
    """
    counts = list(sizes)
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    for floor in (2, 1):
        for i in order:
            others = math.prod(counts) // counts[i]
            if others * counts[i] > max_frames:
                counts[i] = max(min(floor, counts[i]), max_frames // others)
    return counts


def subset_indices(n_values: int, count: int, default: int) -> list[int]:
    """``count`` evenly spaced indices into ``n_values`` values, with both ends and ``default``."""
    if count >= n_values:
        return list(range(n_values))
    if count == 1:
        return [default]
    # Steps of (n - 1)/(count - 1) > 1 stay distinct after rounding.
    chosen = [round(i * (n_values - 1) / (count - 1)) for i in range(count)]
    if default in chosen:
        return chosen
    if count == 2:  # the default and the end farther from it
        return sorted([default, 0 if default > (n_values - 1) / 2 else n_values - 1])
    nearest = min(range(1, count - 1), key=lambda i: abs(chosen[i] - default))
    chosen[nearest] = default
    return sorted(chosen)


def frame_index(positions: list[int], shape: list[int]) -> int:
    """Index of the frame for the sliders at ``positions`` (C order: the last slider fastest)."""
    index = 0
    for position, size in zip(positions, shape):
        index = index * size + position
    return index


def _kind(control) -> str:
    """How the page shows a control: ``"slider"`` (a range input) or ``"choice"`` (a list)."""
    import ipywidgets

    choice = isinstance(control, _choice_controls()) and not isinstance(control, ipywidgets.SelectionSlider)
    return "choice" if choice else "slider"


def _default_index(values: list, value) -> int:
    """Position of the slider's current value among its values (the nearest, for floats)."""
    if value in values:
        return values.index(value)
    try:
        return min(range(len(values)), key=lambda i: abs(values[i] - value))
    except TypeError:
        return 0


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


@contextlib.contextmanager
def _figures_saved_by_show(sink: list):
    """Within the block, ``plt.show()`` (and leaving the block) appends new figures to ``sink``
    and closes them instead of displaying them."""
    import matplotlib.pyplot as plt

    existing = set(plt.get_fignums())

    def save_new_figures(*args, **kwargs):
        for number in plt.get_fignums():
            if number not in existing:
                figure = plt.figure(number)
                sink.append(figure)
                plt.close(figure)

    original, plt.show = plt.show, save_new_figures
    try:
        yield
        save_new_figures()
    finally:
        plt.show = original
        for figure in sink:  # a failing function may leave figures half drawn
            plt.close(figure)


def _render(function, kwargs: dict, frame_dpi: float, with_default: bool):
    """Call ``function(**kwargs)``: its figure as a frame PNG, as a PNG at the figure's own
    resolution (what the notebook would show) when ``with_default``, its alt text, and what it
    printed."""
    drawn: list = []
    printed = io.StringIO()
    with _figures_saved_by_show(drawn), contextlib.redirect_stdout(printed):
        function(**kwargs)
    if len(drawn) > 1:
        raise ValueError(f"the slider's function drew {len(drawn)} figures for {kwargs}; draw "
                         "one figure (use subplots for several panels) and call plt.show() once")
    if not drawn:
        return None, None, "", printed.getvalue()
    figure = drawn[0]
    frame = figures.png_bytes(figure, dpi=frame_dpi)
    default = figures.png_bytes(figure, dpi=figure.dpi) if with_default else None
    return frame, default, figures.describe(figure), printed.getvalue()


def record_frames(function, sliders: dict, *, max_frames: int = DEFAULT_MAX_FRAMES,
                  frame_dpi: float = FRAME_DPI) -> dict:
    """The :data:`SLIDER_MIMETYPE` record: sliders, recorded values and one frame per combination.

    Returns a JSON-able dict ``{"version", "sliders", "shape", "default", "frames"}`` with
    ``sliders[i] = {"name", "label", "labels", "default", "count", "first", "last", "kind"}``
    (``labels`` of the recorded values, ``default`` their position, ``count``, ``first`` and
    ``last`` of all the slider's values, ``kind`` "slider" or "choice" for a list) and
    ``frames[i] = {"image": base64 PNG or None, "alt", "text"}``; plus ``"_default_png"``, the
    default figure at the notebook's resolution (base64), which :func:`interact` moves to the
    output's ``image/png``.
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    if not sliders:
        raise ValueError("interact needs at least one slider, e.g. t=IntSlider(min=0, max=9)")
    if isinstance(max_frames, bool) or not isinstance(max_frames, Integral) or max_frames < 1:
        raise ValueError(f"max_frames must be a positive integer, got {max_frames!r}")
    if isinstance(frame_dpi, bool) or not isinstance(frame_dpi, (int, float)) or not frame_dpi > 0:
        raise ValueError(f"frame_dpi must be a positive number, got {frame_dpi!r}")
    names = list(sliders)
    all_values, all_labels, defaults = [], [], []
    for name in names:
        values, labels = slider_values(name, sliders[name])
        all_values.append(values)
        all_labels.append(labels)
        defaults.append(_default_index(values, sliders[name].value))
    counts = frame_counts([len(v) for v in all_values], int(max_frames))
    chosen = [subset_indices(len(v), c, d) for v, c, d in zip(all_values, counts, defaults)]

    described = []
    for name, slider, labels, indices, default in zip(names, sliders.values(), all_labels, chosen,
                                                      defaults):
        described.append({"name": name, "label": slider.description or name,
                          "labels": [labels[i] for i in indices],
                          "default": indices.index(default), "count": len(labels),
                          "first": labels[0], "last": labels[-1],
                          "kind": _kind(slider)})
    frames, default_png = [], None
    for positions in itertools.product(*(range(len(c)) for c in chosen)):
        kwargs = {name: all_values[k][chosen[k][p]] for k, (name, p) in enumerate(zip(names, positions))}
        is_default = all(chosen[k][p] == defaults[k] for k, p in enumerate(positions))
        frame, default, alt, text = _render(function, kwargs, frame_dpi, is_default)
        if is_default and default is not None:
            default_png = _b64(default)
        frames.append({"image": None if frame is None else _b64(frame), "alt": alt, "text": text})
    return {"version": RECORD_VERSION, "sliders": described, "shape": [len(c) for c in chosen],
            "default": frame_index([s["default"] for s in described], [len(c) for c in chosen]),
            "frames": frames, "_default_png": default_png}
