"""Alt text for the figures a notebook shows, and small PNGs of a figure.

A figure shown with ``plt.show()`` in a notebook is stored as an ``image/png`` output with no
description, so a screen reader (and nbconvert, which warns about it) has nothing to say. After
:func:`enable_alt_text`, every figure the kernel displays carries ``{"image/png": {"alt": …}}``
in its output metadata — where nbconvert's templates and ``emcourse book`` look for it — written by
:func:`describe` from what the course's figures always have: titles, axis labels and legends.

matplotlib is imported inside the functions, so ``import emcourse`` stays light.
"""

from __future__ import annotations

import io
import re

# TeX commands in matplotlib's mathtext that read better as a character.
_TEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ", "infty": "∞",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "approx": "≈", "times": "×",
    "cdot": "·", "ldots": "…", "cdots": "…", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "mid": "|", "parallel": "‖", "Vert": "‖", "|": "‖", "sum": "Σ", "prod": "Π", "log": "log",
    "exp": "exp", "mathcal{L}": "L", "nabla": "∇", "in": "∈", "propto": "∝", "pm": "±",
}
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+|\|)")
_TEX_WRAPPERS = re.compile(r"\\(?:mathrm|mathbf|mathit|mathcal|mathbb|boldsymbol|text|operatorname)\{([^{}]*)\}")


def plain_text(label: str) -> str:
    """A matplotlib label with its mathtext (``$\\mu_0$``) turned into readable plain text."""
    if "$" not in label:
        return label.strip()
    text = _TEX_WRAPPERS.sub(r"\1", label.replace("$", ""))
    text = _TEX_COMMAND.sub(lambda m: _TEX_SYMBOLS.get(m.group(1), m.group(1)), text)
    text = text.replace("{", "").replace("}", "").replace("\\,", " ").replace("\\;", " ")
    return re.sub(r"\s+", " ", text).strip()


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _axes_contents(ax) -> str:
    """What a panel draws: lines, scatters (with their point counts), bars, images."""
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer

    found = []
    lines = [line for line in ax.get_lines() if line.get_visible()]
    if lines:
        found.append(_count(len(lines), "line"))
    scatters = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_visible()]
    if scatters:
        points = sum(len(c.get_offsets()) for c in scatters)
        found.append(_count(len(scatters), "scatter") + f" ({_count(points, 'point')})")
    bars = sum(len(c) for c in ax.containers if isinstance(c, BarContainer))
    if bars:
        found.append(_count(bars, "bar"))
    if ax.images:
        found.append(_count(len(ax.images), "image"))
    return "showing " + ", ".join(found) if found else ""


def _axes_description(ax) -> str:
    """One panel: its title, axis labels and legend entries, in words."""
    parts = []
    titles = [plain_text(ax.get_title(loc)) for loc in ("left", "center", "right")]
    titles = [t for t in titles if t]
    if titles:
        parts.append("“" + " / ".join(titles) + "”")
    kind = "3-D plot" if hasattr(ax, "get_zlabel") else "plot"
    axis_labels = [f"{name} axis “{plain_text(label)}”"
                   for name, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel()))
                   if label.strip()]
    parts.append(kind + (" with " + " and ".join(axis_labels) if axis_labels else ""))
    contents = _axes_contents(ax)
    if contents:
        parts.append(contents)
    legend = ax.get_legend()
    if legend is not None:
        entries = [plain_text(t.get_text()) for t in legend.get_texts()]
        entries = [e for e in entries if e]
        if entries:
            parts.append("legend: " + "; ".join(entries))
    return ", ".join(parts)


def describe(figure) -> str:
    """Alt text for a matplotlib figure: its title, then each panel's title, axes and legend.

    Colour bars and other Axes without labels or titles are left out. Example:
    ``Figure “Old Faithful”: “EM, iteration t = 5”, plot with x axis “eruption” and
    y axis “waiting”, legend: component 0; component 1.``
    """
    panels = []
    for ax in figure.get_axes():
        if not ax.get_visible():
            continue
        described = _axes_description(ax)
        if described != "plot":  # an empty, unlabelled helper Axes
            panels.append(described)
    suptitle = figure._suptitle.get_text() if getattr(figure, "_suptitle", None) else ""
    head = "Figure" + (f" “{plain_text(suptitle)}”" if suptitle.strip() else "")
    if not panels:
        return head + "."
    if len(panels) == 1:
        return f"{head}: {panels[0]}."
    numbered = [f"panel {i} of {len(panels)}: {p}" for i, p in enumerate(panels, start=1)]
    return f"{head} with {len(panels)} panels; " + "; ".join(numbered) + "."


def _palette_png(rgba, colors: int) -> bytes:
    """An (H, W, 4) uint8 image as PNG: a ``colors``-colour palette image when it is opaque."""
    from PIL import Image  # matplotlib depends on Pillow

    image = Image.fromarray(rgba, mode="RGBA")
    out = io.BytesIO()
    if int(rgba[..., 3].min()) == 255:
        image = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def compact_png(png: bytes, colors: int = 256) -> bytes:
    """``png`` re-encoded as a ``colors``-colour palette PNG (a plot's PNG shrinks to about a third,
    with no visible change); an image with transparency, or one that would grow, is returned as is.
    """
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgba = np.asarray(image.convert("RGBA"))
    compact = _palette_png(rgba, colors)
    return compact if len(compact) < len(png) and int(rgba[..., 3].min()) == 255 else png


def png_bytes(figure, *, dpi: float, colors: int = 256) -> bytes:
    """The figure as a palette PNG at ``dpi``, cropped to its artists as ``bbox_inches="tight"``.

    Draws once and crops the canvas, instead of savefig's two draws for a tight box; when an artist
    lies outside the figure (a legend placed beside it), savefig draws once more into the box
    measured by the first draw.
    """
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    original_dpi, original_canvas = figure.dpi, figure.canvas
    try:
        figure.set_dpi(dpi)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        width, height = figure.get_size_inches()
        tight = figure.get_tightbbox(canvas.get_renderer())
        box = tight.padded(matplotlib.rcParams["savefig.pad_inches"])
        if tight.x0 < 0 or tight.y0 < 0 or tight.x1 > width or tight.y1 > height:
            # an artist sticks out (a label past the edge, a legend beside the axes): savefig with
            # the box already measured draws once more, not twice as bbox_inches="tight" does
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=dpi, bbox_inches=box)
            return compact_png(buffer.getvalue(), colors)
        rgba = np.asarray(canvas.buffer_rgba())
        rows, cols = rgba.shape[:2]
        left, right = max(0, int(box.x0 * dpi)), min(cols, int(np.ceil(box.x1 * dpi)))
        top = max(0, int((height - box.y1) * dpi))
        bottom = min(rows, int(np.ceil((height - box.y0) * dpi)))
        return _palette_png(np.ascontiguousarray(rgba[top:bottom, left:right]), colors)
    finally:
        figure.set_dpi(original_dpi)
        figure.set_canvas(original_canvas)


def setup_figures(shell=None, *, alt_text: bool = True, colors: int | None = 256) -> None:
    """Make every figure this IPython kernel displays carry alt text and be stored compactly.

    Wraps the PNG formatter that matplotlib's inline backend registers for ``Figure``: with
    ``alt_text`` it also returns ``{"alt": describe(figure)}`` as the output's ``image/png``
    metadata; with ``colors`` the PNG becomes a palette image (:func:`compact_png`), which keeps
    a notebook's figures at about a third of their size. The formatter is wrapped again before
    each cell if something (``%matplotlib inline``, ``%config InlineBackend…``) registered a new
    one. Call it once, in the imports cell (it returns None, so the cell shows nothing). Outside
    IPython, e.g. when a notebook's code runs as a script, it does nothing.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
    if shell is None:
        return
    import matplotlib.pyplot as plt

    plt.close(plt.figure())  # loads the backend now; the inline one registers its formatters
    options = {"alt_text": alt_text, "colors": colors}
    if getattr(shell, "_emcourse_figures", None) is None:
        shell.events.register("pre_run_cell", lambda *args: _wrap_png_formatter(shell))
    shell._emcourse_figures = options
    _wrap_png_formatter(shell)


def _plain_inline(formatter) -> bool:
    """Whether ``formatter`` is the inline backend's own PNG printer with its default settings
    (PNG at the figure's dpi, cropped tight), which :func:`png_bytes` reproduces in one draw."""
    keywords = getattr(formatter, "keywords", None)
    function = getattr(formatter, "func", None)
    return (getattr(function, "__name__", "") == "print_figure" and keywords is not None
            and keywords.get("fmt") == "png" and set(keywords) <= {"fmt", "base64", "bbox_inches"}
            and keywords.get("bbox_inches", "tight") == "tight")


def _wrap_png_formatter(shell) -> bool:
    """Wrap the shell's PNG formatter for figures (once); False if there is none to wrap."""
    import base64

    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["image/png"]
    current = formatter.type_printers.get(Figure)
    if current is None:
        return False
    inner = getattr(current, "_emcourse_inner", current)

    def course_png(figure):
        options = shell._emcourse_figures
        metadata = {}
        if options["colors"] and _plain_inline(inner):
            if not figure.axes and not figure.lines:   # what the inline printer shows: nothing
                return None
            # one draw, cropped like bbox_inches="tight", straight to a palette PNG: half the work
            # of the inline backend's savefig (which draws twice) followed by compact_png
            data = base64.b64encode(png_bytes(figure, dpi=figure.dpi,
                                              colors=options["colors"])).decode("ascii")
        else:
            data = inner(figure)
            if isinstance(data, tuple):  # a formatter that already returns (data, metadata)
                data, metadata = data[0], dict(data[1] or {})
            if data is None:
                return None
            if options["colors"]:
                as_text = isinstance(data, str)
                png = compact_png(base64.b64decode(data) if as_text else data, options["colors"])
                data = base64.b64encode(png).decode("ascii") if as_text else png
        if options["alt_text"]:
            metadata["alt"] = describe(figure)
        return (data, metadata) if metadata else data

    course_png._emcourse_inner = inner
    formatter.for_type(Figure, course_png)
    return True
