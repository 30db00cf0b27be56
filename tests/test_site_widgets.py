"""emcourse.widgets, emcourse.figures and emcourse.convert: frames, alt text, conversion.

Everything here runs in this process (matplotlib's Agg backend, no kernel); the site tests run a
real kernel over a small notebook.
"""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from ipywidgets import Dropdown, FloatSlider, IntSlider, SelectionSlider, Text  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402
from PIL import Image  # noqa: E402

from emcourse import convert, figures, widgets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# --- which values get a frame ------------------------------------------------------------------

def test_slider_values_cover_the_whole_range_on_the_step_grid():
    assert widgets.slider_values("t", IntSlider(min=0, max=6, step=2))[0] == [0, 2, 4, 6]
    values, labels = widgets.slider_values("s", FloatSlider(value=1.0, min=0.0, max=1.9, step=0.05))
    assert len(values) == 39 and values[0] == 0.0 and values[-1] == 1.9 and values[20] == 1.0
    assert labels[:2] == ["0.00", "0.05"]
    assert widgets.slider_values("m", SelectionSlider(options=[("low", 1), ("high", 2)])) == (
        [1, 2], ["low", "high"])
    assert widgets.slider_values("mech", Dropdown(options=["MCAR", "MAR"])) == (
        ["MCAR", "MAR"], ["MCAR", "MAR"])


def test_a_slider_without_a_finite_grid_is_an_error_naming_it():
    with pytest.raises(TypeError, match="slider 'name'"):
        widgets.slider_values("name", Text())
    with pytest.raises(TypeError, match="slider 'x'"):
        widgets.record_frames(lambda x: None, {"x": (0, 10)})
    with pytest.raises(ValueError, match="max_frames"):
        widgets.record_frames(lambda t: None, {"t": IntSlider()}, max_frames=0)
    with pytest.raises(ValueError, match="at least one slider"):
        widgets.record_frames(lambda: None, {})


@pytest.mark.parametrize("sizes, budget, expected", [
    ([64], 12, [12]), ([3], 12, [3]), ([5, 26], 12, [5, 2]), ([5, 26], 32, [5, 6]),
    ([10, 10], 12, [2, 6]), ([3, 3, 3], 4, [1, 2, 2]), ([7, 7], 1, [1, 1])])
def test_frame_counts_fit_the_budget_and_thin_the_longest_slider_first(sizes, budget, expected):
    counts = widgets.frame_counts(sizes, budget)
    assert counts == expected and np.prod(counts) <= budget


@pytest.mark.parametrize("n, count, default", [(64, 12, 0), (41, 12, 5), (39, 12, 20), (10, 2, 3),
                                               (10, 2, 7), (5, 5, 2), (2225, 12, 1111), (9, 1, 4)])
def test_subsets_are_evenly_spaced_and_keep_the_default_and_the_ends(n, count, default):
    chosen = widgets.subset_indices(n, count, default)
    assert chosen == sorted(set(chosen)) and len(chosen) == min(n, count) and default in chosen
    if count >= 3:
        assert chosen[0] == 0 and chosen[-1] == n - 1
        assert max(np.diff(chosen)) <= 2 * (n - 1) / (count - 1) + 1  # no big hole


def test_frame_index_is_c_order_and_differs_from_fortran_order():
    shape = [3, 4]
    order = [widgets.frame_index([i, j], shape) for i in range(3) for j in range(4)]
    assert order == list(range(12))
    assert widgets.frame_index([1, 0], shape) == 4  # the first slider is the slow one


# --- recording frames --------------------------------------------------------------------------

def show_power(k=1, offset=0.0):
    x = np.linspace(0, 1, 30)
    ax = plt.figure(figsize=(3, 2)).add_subplot()
    ax.plot(x, x ** k + offset)
    ax.set_title(f"power k = {k}, offset {offset:.1f}")
    ax.set_xlabel("$x$")
    plt.show()
    print(f"k = {k}")


def test_record_frames_draws_each_recorded_combination_in_c_order():
    sliders = {"k": IntSlider(value=2, min=0, max=20, description="power k"),
               "offset": FloatSlider(value=0.5, min=0.0, max=1.0, step=0.5)}
    open_before = plt.get_fignums()
    record = widgets.record_frames(show_power, sliders, max_frames=12, frame_dpi=40)
    assert plt.get_fignums() == open_before  # frames never leak into the notebook's output
    assert record["shape"] == [4, 3] and len(record["frames"]) == 12
    k_labels = record["sliders"][0]["labels"]
    assert record["sliders"][0]["count"] == 21 and "2" in k_labels and k_labels[-1] == "20"
    for i, k in enumerate(k_labels):
        for j, offset in enumerate(["0.00", "0.50", "1.00"]):
            frame = record["frames"][widgets.frame_index([i, j], record["shape"])]
            assert f"power k = {k}, offset {float(offset):.1f}" in frame["alt"], frame["alt"]
            assert frame["text"] == f"k = {k}\n"
    default = record["frames"][record["default"]]
    assert "power k = 2, offset 0.5" in default["alt"]
    images = {f["image"] for f in record["frames"]}
    assert len(images) == 12  # every frame is a different picture
    small = Image.open(io.BytesIO(base64.b64decode(default["image"])))
    full = Image.open(io.BytesIO(base64.b64decode(record["_default_png"])))
    assert small.mode == "P" and full.width > small.width > 50


def test_a_function_drawing_two_figures_is_refused():
    def two(t=0):
        plt.figure()
        plt.figure()
        plt.show()

    with pytest.raises(ValueError, match="drew 2 figures"):
        widgets.record_frames(two, {"t": IntSlider(max=2)})
    assert not plt.get_fignums()


def test_frames_are_recorded_unless_a_jupyter_server_session_or_the_setting_says_no(monkeypatch):
    monkeypatch.delenv("EMCOURSE_FRAMES", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert widgets.records_frames()
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/00.ipynb")
    assert not widgets.records_frames()
    monkeypatch.setenv("EMCOURSE_FRAMES", "1")
    assert widgets.records_frames()
    monkeypatch.setenv("EMCOURSE_FRAMES", "0")
    assert not widgets.records_frames()
    monkeypatch.setenv("EMCOURSE_FRAMES", "sometimes")
    with pytest.raises(ValueError, match="EMCOURSE_FRAMES"):
        widgets.records_frames()


def test_the_live_widget_shows_the_recorded_default_first_and_draws_live_after(monkeypatch, capsys):
    """ipywidgets calls the function at the defaults as the widget is built: interact shows the
    default figure it already drew for the record instead of drawing it again."""
    monkeypatch.setenv("EMCOURSE_FRAMES", "0")
    calls = []

    def show(k=1):
        calls.append(k)
        plt.figure(figsize=(2, 2)).add_subplot().plot([0, k])
        plt.show()
        print(f"k = {k}")

    widgets.interact(show, k=IntSlider(value=3, min=0, max=5))
    assert calls == [3]                      # drawn once, not once more for the live widget
    live = widgets._drawn_once(show, "iVBORw0KGgo=", {"alt": "Figure: k = 3", "text": "k = 3\n"})
    capsys.readouterr()
    live(k=3)                                # the widget's first call: the stored figure
    assert calls == [3] and capsys.readouterr().out.endswith("k = 3\n")
    live(k=4)                                # a slider move: drawn live
    assert calls == [3, 4]
    assert widgets._drawn_once(show, None, {}) is show   # nothing drawn: always live


# --- alt text and PNGs -------------------------------------------------------------------------

def test_describe_reads_titles_labels_contents_and_legends():
    fig, (left, right) = plt.subplots(1, 2)
    fig.suptitle("Old Faithful")
    left.scatter([0, 1, 2], [1, 2, 3], label=r"component $k = 0$")
    left.legend()
    left.set(title=r"EM, $\mu_0$ at $t = 5$", xlabel="eruption", ylabel=r"$\log p(X \mid \theta)$")
    right.bar([0, 1], [3, 4])
    text = figures.describe(fig)
    plt.close(fig)
    assert text.startswith("Figure “Old Faithful” with 2 panels; panel 1 of 2: “EM, μ_0 at t = 5”")
    assert "x axis “eruption”" in text and "y axis “log p(X | θ)”" in text
    assert "1 scatter (3 points)" in text and "legend: component k = 0" in text
    assert "panel 2 of 2: plot, showing 2 bars" in text and "$" not in text


def test_png_bytes_crops_like_savefig_tight_with_one_draw():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.set(title="a title", xlabel="x", ylabel="y")
    ours = Image.open(io.BytesIO(figures.png_bytes(fig, dpi=50)))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50, bbox_inches="tight")
    theirs = Image.open(buffer)
    assert abs(ours.width - theirs.width) <= 2 and abs(ours.height - theirs.height) <= 2
    assert ours.width < 4 * 50  # cropped, not the whole canvas
    assert fig.dpi == 100  # the figure is left as it was
    plt.close(fig)


def test_a_legend_outside_the_figure_is_kept_in_the_frame():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], label="a long legend entry placed outside")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    ours = Image.open(io.BytesIO(figures.png_bytes(fig, dpi=50)))
    assert ours.width > 3 * 50  # savefig's tight box grows past the canvas to include it
    plt.close(fig)


def test_compact_png_shrinks_a_plot_and_leaves_transparent_images_alone():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.scatter(*np.random.default_rng(0).normal(size=(2, 300)), alpha=0.5)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = buffer.getvalue()
    compact = figures.compact_png(png)
    assert len(compact) < 0.6 * len(png)
    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    b = np.asarray(Image.open(io.BytesIO(compact)).convert("RGB"), dtype=float)
    assert a.shape == b.shape and np.abs(a - b).mean() < 2  # no visible change
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", transparent=True)
    assert figures.compact_png(buffer.getvalue()) == buffer.getvalue()
    plt.close(fig)


def test_setup_figures_draws_the_inline_backends_png_once_and_leaves_a_custom_printer_alone():
    import functools

    def print_figure(fig, fmt="png", bbox_inches="tight", base64=False, **kwargs):
        return "custom"

    inline = functools.partial(print_figure, fmt="png", base64=True, bbox_inches="tight")
    assert figures._plain_inline(inline)
    # a printer with other settings (%config InlineBackend.print_figure_kwargs) is used as it is
    assert not figures._plain_inline(functools.partial(print_figure, fmt="png", bbox_inches=None))
    assert not figures._plain_inline(functools.partial(print_figure, fmt="retina"))
    assert not figures._plain_inline(functools.partial(print_figure, fmt="png", dpi=200))
    assert not figures._plain_inline(lambda fig: "custom")


# --- converting notebooks ----------------------------------------------------------------------

def _notebook(*sources):
    return new_notebook(cells=[new_markdown_cell("# A lecture")] + [new_code_cell(s) for s in sources],
                        metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                                 "name": "python3"}})


IMPORTS = """import numpy as np
import matplotlib.pyplot as plt
from ipywidgets import IntSlider, interact

from emlib import gmm
from emlib.plotting import plot_gmm

np.set_printoptions(precision=4)"""
SLIDER = """# NBVAL_IGNORE_OUTPUT
def show(t=0):
    plot_gmm(X, history[t])
    plt.show()


interact(show, t=IntSlider(value=0, min=0, max=9));"""


def test_convert_rewrites_the_imports_adds_alt_text_and_fixes_the_kernelspec():
    nb = _notebook(IMPORTS, "X = 1", SLIDER)
    result = convert.convert_notebook(nb)
    assert not result.problems and len(result.changes) == 3
    assert nb.cells[1].source == """import numpy as np
import matplotlib.pyplot as plt
from ipywidgets import IntSlider

from emcourse.figures import setup_figures
from emcourse.widgets import interact
from emlib import gmm
from emlib.plotting import plot_gmm

np.set_printoptions(precision=4)
""" + convert.ALT_TEXT_CALL
    assert nb.cells[3].source == SLIDER  # the slider cell itself is unchanged
    assert nb.metadata.kernelspec == convert.KERNELSPEC
    assert convert.convert_notebook(nb).changes == []  # converting twice changes nothing
    namespace = {}
    exec(compile(nb.cells[1].source.replace("from emlib", "# from emlib").replace(
        "setup_figures()", "pass  #"), "imports", "exec"), namespace)
    assert namespace["interact"] is widgets.interact


@pytest.mark.parametrize("line, expected", [
    ("from ipywidgets import interact", ""),
    ("from ipywidgets import interact as explore, FloatSlider", "from ipywidgets import FloatSlider"),
    ("from ipywidgets import (IntSlider,\n                        interact)", "from ipywidgets import IntSlider"),
])
def test_convert_handles_the_forms_of_the_ipywidgets_import(line, expected):
    nb = _notebook(line + "\nimport matplotlib.pyplot as plt")
    convert.convert_notebook(nb)
    lines = nb.cells[1].source.split("\n")
    assert (expected in lines) if expected else not any(ln.startswith("from ipywidgets") for ln in lines)
    alias = " as explore" if "as explore" in line else ""
    assert convert.WIDGETS_IMPORT + alias in lines


def test_convert_reports_uses_it_cannot_convert_and_leaves_notebooks_without_plots_alone():
    nb = _notebook("import ipywidgets as widgets", "widgets.interact(f, t=(0, 3))",
                   "from ipywidgets import interactive\nw = interactive(f, t=(0, 3))")
    result = convert.convert_notebook(nb)
    assert [p.split(":")[0] for p in result.problems] == ["cell 2", "cell 3"]
    assert "widgets.interact" in result.problems[0] and "interactive" in result.problems[1]
    assert result.changes == ["kernelspec: Python 3 (ipykernel)"]  # no pyplot: no alt-text call


def test_the_course_notebooks_convert_in_their_imports_cell_only(tmp_path):
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        result = convert.convert_file(copy)
        assert not result.problems, (path.name, result.problems)
        before, after = nbformat.read(path, 4), nbformat.read(copy, 4)
        changed = [i for i, (a, b) in enumerate(zip(before.cells, after.cells)) if a != b]
        assert len(after.cells) == len(before.cells) and len(changed) <= 1, (path.name, changed)
        if changed:
            assert "from emcourse.widgets import interact" in after.cells[changed[0]].source or \
                "setup_figures()" in after.cells[changed[0]].source
        assert after.metadata.kernelspec == convert.KERNELSPEC
        assert not convert.convert_file(copy).changes


def test_the_kernelspec_is_the_one_ipykernel_installs():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert convert.KERNELSPEC["display_name"] == spec.display_name
    assert convert.KERNELSPEC["language"] == spec.language


# --- the stored notebooks ----------------------------------------------------------------------

STORED = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.stem)
def test_stored_sliders_show_a_figure_with_frames_and_figures_have_alt_text(path):
    if convert.convert_file(path, check=True).changes:
        pytest.xfail(f"{path.name} is not converted yet: run `emcourse convert {path.relative_to(ROOT)}` "
                     "and re-execute it")
    nb = nbformat.read(path, 4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            where = f"{path.name} cell {index}"
            if "application/vnd.jupyter.widget-view+json" in data:
                assert widgets.SLIDER_MIMETYPE in data, f"{where}: a slider stored without frames"
                assert "image/png" in data, f"{where}: a slider stored without its default figure"
                assert not data["text/plain"].startswith("interactive("), where
            if "image/png" in data:
                assert output.metadata.get("image/png", {}).get("alt"), f"{where}: no alt text"
