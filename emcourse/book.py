"""The course as a static website: ``emcourse book [--out build/site]``.

Sphinx with myst-nb and the book theme (the machinery of Jupyter Book 1) turns the stored
notebooks into HTML **without executing them** (``nb_execution_mode = "off"``) and without the
network:

- pages: the README as the home page, every lecture ``notebooks/NN_*.ipynb``, the notation
  (``notebooks/NOTATION.md``), the exercise sets ``exercises/NN_*.ipynb`` and their README —
  found by pattern, so a new lecture appears with no change here;
- navigation (the book theme's sidebar and previous/next links) and Sphinx's search;
- equations typeset by MathJax 3 (``tex-svg-full.js``, one self-contained file with every TeX
  extension and SVG output, so no font files are fetched, even from ``file://``) copied from the
  ``sphinx-mathjax-offline`` package into ``_static/mathjax/``; no CDN;
- pre-rendered sliders and alt text from :mod:`emcourse.book_outputs`, with
  ``book_static/slider.js`` and ``course.css``; ipywidgets' CDN loader is switched off.

The sources are staged in a temporary folder (myst-nb writes its images beside Sphinx's output
folder), built, and the HTML copied to ``out``.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat

from . import book_outputs

LECTURE_PATTERN = "notebooks/[0-9][0-9]_*.ipynb"
EXERCISE_PATTERN = "exercises/[0-9][0-9]_*.ipynb"
MATHJAX_DISTRIBUTION = "sphinx-mathjax-offline"
MATHJAX_FILE = "sphinx-mathjax-offline/static/mathjax/tex-svg-full.js"
STATIC = Path(__file__).with_name("book_static")
TITLE = "The EM course"


@dataclass
class Site:
    """A built site: where it is, its pages (Sphinx document names), sliders and warnings."""

    out: Path
    pages: list[str]
    sliders: int
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def sources(course: Path) -> dict[str, list[Path]]:
    """The course's files that become pages, by section, in reading order."""
    course = Path(course)
    single = lambda path: [course / path] if (course / path).is_file() else []  # noqa: E731
    return {
        "home": single("README.md"),
        "lectures": sorted(course.glob(LECTURE_PATTERN)),
        "reference": single("notebooks/NOTATION.md"),
        "exercises": single("exercises/README.md") + sorted(course.glob(EXERCISE_PATTERN)),
    }


def mathjax_file() -> Path:
    """MathJax 3's ``tex-svg-full.js`` from the installed ``sphinx-mathjax-offline`` package."""
    try:
        path = Path(metadata.distribution(MATHJAX_DISTRIBUTION).locate_file(MATHJAX_FILE))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise FileNotFoundError(f"MathJax ({MATHJAX_FILE}) is missing: install the course's "
                                "requirements (pip install -r requirements.txt)")
    return path


def _toctree(caption: str, docnames: list[str]) -> str:
    entries = "\n".join(docnames)
    return f"\n\n```{{toctree}}\n:caption: {caption}\n:hidden:\n\n{entries}\n```\n"


def _docname(path: Path, course: Path) -> str:
    return path.relative_to(course).with_suffix("").as_posix()


def stage(course: Path, src: Path) -> tuple[dict[str, str], int, list[str], list[str]]:
    """Copy the pages into ``src`` (notebooks prepared for the static page) and write the home
    page with the navigation. Returns (alt text by image hash, sliders, document names, warnings).
    """
    found = sources(course)
    if not found["home"]:
        raise FileNotFoundError(f"{course} has no README.md: is it the course root?")
    if not found["lectures"]:
        raise FileNotFoundError(f"{course} has no lecture notebooks ({LECTURE_PATTERN})")
    frames_dir = src / "_static" / "sliders"
    frames_dir.mkdir(parents=True)
    (src / "_static" / "mathjax").mkdir()
    shutil.copy2(mathjax_file(), src / "_static" / "mathjax" / "tex-svg-full.js")
    shutil.copytree(STATIC, src / "_static" / "emcourse")

    alt_text, sliders, warnings, docnames = {}, 0, [], {}
    for section in ("lectures", "reference", "exercises"):
        docnames[section] = []
        for path in found[section]:
            target = src / path.relative_to(course)
            target.parent.mkdir(parents=True, exist_ok=True)
            docnames[section].append(_docname(path, course))
            if path.suffix != ".ipynb":
                text = path.read_text(encoding="utf-8")
                if path == course / "exercises" / "README.md":  # its heading is the folder's name
                    text = re.sub(r"\A# .*", "# About the exercises", text)
                target.write_text(text, encoding="utf-8")
                continue
            nb = nbformat.read(path, as_version=4)
            depth = len(path.relative_to(course).parts) - 1
            prepared = book_outputs.prepare_notebook(
                nb, name=path.stem, frames_dir=frames_dir, frames_url="../" * depth + "_static/sliders/")
            alt_text.update(prepared.alt_text)
            sliders += prepared.sliders
            warnings += prepared.warnings
            nbformat.write(nb, target)

    home = found["home"][0].read_text(encoding="utf-8")
    home += _toctree("Lectures", docnames["lectures"])
    if docnames["reference"]:
        home += _toctree("Reference", docnames["reference"])
    if docnames["exercises"]:
        home += _toctree("Exercises", docnames["exercises"])
    (src / "index.md").write_text(home, encoding="utf-8")
    pages = ["index"] + [name for section in docnames.values() for name in section]
    return alt_text, sliders, pages, warnings


def sphinx_config() -> dict:
    """Sphinx's configuration for the course site (no conf.py: everything is here)."""
    return {
        "project": TITLE,
        "html_title": TITLE,
        "extensions": ["myst_nb", "sphinx.ext.mathjax"],
        "root_doc": "index",
        "exclude_patterns": ["**.ipynb_checkpoints"],
        # Read the stored outputs; never start a kernel.
        "nb_execution_mode": "off",
        "nb_merge_streams": True,
        # ipywidgets' HTML manager would come from a CDN; stored sliders are pre-rendered instead.
        "nb_ipywidgets_js": {},
        "myst_enable_extensions": ["dollarmath", "amsmath"],
        "myst_dmath_double_inline": True,  # $$…$$ inside a paragraph or list item, as in Jupyter
        "myst_heading_anchors": 3,
        "mathjax_path": "mathjax/tex-svg-full.js",  # relative to _static
        "mathjax3_config": {"svg": {"fontCache": "global"}},
        "html_theme": "sphinx_book_theme",
        "html_theme_options": {"home_page_in_toc": True, "show_navbar_depth": 1,
                               "use_download_button": True, "use_fullscreen_button": False,
                               "show_toc_level": 2},
        # The book theme passes no colour mode to pydata's templates, whose script then logs
        # "invalid theme mode" to the console; follow the reader's system setting.
        "html_context": {"default_mode": "auto"},
        "html_static_path": ["_static"],
        "html_css_files": ["emcourse/course.css"],
        "html_js_files": ["emcourse/slider.js"],
        "html_show_sphinx": False,
        "html_last_updated_fmt": None,
    }


def build(course=".", out="build/site", *, strict: bool = False) -> Site:
    """Build the site of the course at ``course`` into ``out`` (replaced); see the module docstring.

    With ``strict``, a Sphinx warning or a notebook that needs converting is an error.
    """
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    started = time.perf_counter()
    course, out = Path(course).resolve(), Path(out).resolve()
    if course == out or course in out.parents and out.parent == course:
        raise ValueError(f"--out {out} would overwrite the course; use a folder such as build/site")
    with tempfile.TemporaryDirectory(prefix="emcourse-book-") as tmp:
        tmp = Path(tmp)
        src, html_dir = tmp / "src", tmp / "html"
        alt_text, sliders, pages, warnings = stage(course, src)
        log = io.StringIO()
        with docutils_namespace():
            app = Sphinx(str(src), None, str(html_dir), str(tmp / "doctrees"), "html",
                         confoverrides=sphinx_config(), status=None, warning=log,
                         freshenv=True, warningiserror=False)
            app.connect("doctree-read",
                        lambda app, doctree: book_outputs.apply_alt_text(doctree, alt_text))
            app.build(force_all=True)
        warnings += [re.sub(r"\x1b\[[0-9;]*m", "", line)  # Sphinx colours its warnings
                     for line in log.getvalue().splitlines() if line.strip()]
        if strict and warnings:
            raise RuntimeError("the site has warnings:\n" + "\n".join(warnings))
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(html_dir, out)
    return Site(out=out, pages=pages, sliders=sliders, warnings=warnings,
                seconds=time.perf_counter() - started)
