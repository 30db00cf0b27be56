"""The course website (``emcourse book``): built from the stored notebooks, checked in Chromium.

Two sites are built once per session: the real course (every lecture and exercise) and a small
demo course whose notebook runs in a real kernel through ``emcourse.widgets.interact``, so its
sliders carry pre-rendered frames. The build checks need no browser. The browser checks drive
headless Chromium (Debian's ``chromium``, through Playwright) over the sites served on 127.0.0.1:
every page loads with no console error and no request to another host, every equation is typeset
by the local MathJax, every image loads and has alt text, every slider swaps its frame, every
internal link resolves, search finds a lecture. They are skipped, saying how to install Chromium,
where it is missing — and fail instead on CI, whose ``.ci/run`` installs it.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import io
import json
import os
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from emcourse import book, cli, convert, widgets

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("EMCOURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("headless Chromium is needed for the browser checks of the website: install it with "
                "`apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this) and "
                "`pip install -r requirements.txt` (Playwright), or point EMCOURSE_CHROMIUM at a "
                "Chromium binary")

# --- a demo course with real sliders -----------------------------------------------------------

DEMO_MARKDOWN = r"""# 00 · A demo lecture

Inline math $\pi_k \ge 0$ and a display:

$$\log p(X \mid \theta) = \sum_{n=0}^{N-1} \log \sum_{k=0}^{K-1} \pi_k\, p(x_n \mid \theta_k)$$

\begin{align}
\mathcal{L}(q, \theta) &= \mathbb{E}_q[\log p(x, z \mid \theta)] + H[q]
\end{align}

See the [notation](NOTATION.md), the [exercise](../exercises/00_demo.ipynb) and
[the slider](#a-slider).

## A slider
"""
DEMO_IMPORTS = """import matplotlib.pyplot as plt
import numpy as np
from ipywidgets import Dropdown, FloatSlider, IntSlider

from emcourse.figures import setup_figures
from emcourse.widgets import interact

setup_figures()"""
DEMO_STATIC = """fig, ax = plt.subplots(figsize=(4, 2.5))
ax.plot([0, 1, 2], [0, 1, 4])
ax.set(title="a static figure", xlabel="$x$", ylabel="$x^2$")
plt.show()"""
DEMO_POWER = """# NBVAL_IGNORE_OUTPUT
def show_power(k=1):
    x = np.linspace(0, 1, 40)
    ax = plt.figure(figsize=(4, 2.5)).add_subplot()
    ax.plot(x, x ** k)
    ax.set(title=f"power k = {k}", xlabel="$x$", ylabel="$x^k$")
    plt.show()
    print(f"k = {k}: the curve ends at 1")


interact(show_power, k=IntSlider(value=1, min=0, max=20, description="power k"));"""
DEMO_WAVE = """# NBVAL_IGNORE_OUTPUT
def show_wave(freq=2, phase=0.0):
    x = np.linspace(0, 1, 80)
    ax = plt.figure(figsize=(4, 2.5)).add_subplot()
    ax.plot(x, np.sin(2 * np.pi * (freq * x + phase)))
    ax.set(title=f"freq = {freq}, phase = {phase:.1f}", xlabel="$x$", ylabel="$y$")
    plt.show()


interact(show_wave, freq=Dropdown(options=[1, 2, 3], value=2, description="frequency"),
         phase=FloatSlider(value=0.0, min=0.0, max=1.0, step=0.5, description="phase"));"""


def make_demo_course(root: Path) -> Path:
    """A course folder with a README, a notation page, one executed lecture and one exercise."""
    (root / "notebooks").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "README.md").write_text("# A demo course\n\nStart with [the lecture]"
                                    "(notebooks/00_demo.ipynb).\n", encoding="utf-8")
    (root / "notebooks" / "NOTATION.md").write_text("# Notation\n\n$K$ components, "
                                                    "$k = 0, \\dots, K-1$.\n", encoding="utf-8")
    exercise = new_notebook(cells=[new_markdown_cell("# Exercises 00\n\nShow that $a^2 \\ge 0$."),
                                   new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()")],
                            metadata={"kernelspec": convert.KERNELSPEC})
    nbformat.write(exercise, root / "exercises" / "00_demo.ipynb")
    lecture = new_notebook(cells=[new_markdown_cell(DEMO_MARKDOWN), new_code_cell(DEMO_IMPORTS),
                                  new_code_cell(DEMO_STATIC), new_code_cell(DEMO_POWER),
                                  new_markdown_cell("## Two sliders"), new_code_cell(DEMO_WAVE)],
                           metadata={"kernelspec": convert.KERNELSPEC})
    saved = os.environ.get("EMCOURSE_FRAMES")
    os.environ["EMCOURSE_FRAMES"] = "1"  # as `jupyter nbconvert --execute` would record them
    try:
        NotebookClient(lecture, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(root)}}).execute()
    finally:
        if saved is None:
            os.environ.pop("EMCOURSE_FRAMES")
        else:
            os.environ["EMCOURSE_FRAMES"] = saved
    nbformat.write(lecture, root / "notebooks" / "00_demo.ipynb")
    return root


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory):
    return make_demo_course(tmp_path_factory.mktemp("demo-course"))


@pytest.fixture(scope="session")
def demo_site(demo_course, tmp_path_factory):
    """The demo course built by the `emcourse book` command (its console script's main)."""
    out = tmp_path_factory.mktemp("demo-site") / "site"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = cli.main(["--course", str(demo_course), "book", "--out", str(out)])
    assert code == 0, printed.getvalue()
    return out, printed.getvalue()


@pytest.fixture(scope="session")
def course_site(tmp_path_factory):
    """The real course's website."""
    return book.build(ROOT, tmp_path_factory.mktemp("course-site") / "site")


# --- the stored demo notebook ------------------------------------------------------------------

def test_a_stored_slider_shows_its_default_figure_with_alt_text_not_a_repr(demo_course):
    nb = nbformat.read(demo_course / "notebooks" / "00_demo.ipynb", 4)
    (output,) = nb.cells[3].outputs
    data = output.data
    assert set(data) == {"application/vnd.jupyter.widget-view+json", widgets.SLIDER_MIMETYPE,
                         "image/png", "text/plain"}
    assert data["text/plain"].startswith("Slider (power k from 0 to 20)")
    assert "power k = 1" in output.metadata["image/png"]["alt"]
    record = data[widgets.SLIDER_MIMETYPE]
    assert record["shape"] == [12] and record["sliders"][0]["count"] == 21
    assert nb.cells[5].outputs[0].data[widgets.SLIDER_MIMETYPE]["shape"] == [3, 3]
    assert nb.cells[1].outputs == []  # the imports cell (setup_figures()) shows nothing
    static = nb.cells[2].outputs[0]
    assert static.metadata["image/png"]["alt"].startswith("Figure: “a static figure”")
    from PIL import Image

    png = Image.open(io.BytesIO(base64.b64decode(static.data["image/png"])))
    assert png.mode == "P"  # stored as a palette PNG by setup_figures
    size = len(json.dumps(nb))
    assert size < 400_000, f"the demo notebook is {size} bytes: frames should be small"


# --- the build, no browser ---------------------------------------------------------------------

def _html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not p.relative_to(site).parts[0].startswith("_"))


def test_the_course_site_has_a_page_per_lecture_and_exercise_and_ships_mathjax(course_site):
    site = course_site.out
    expected = ["index.html", "search.html", "notebooks/NOTATION.html", "exercises/README.html"]
    expected += [f"notebooks/{p.stem}.html" for p in ROOT.glob(book.LECTURE_PATTERN)]
    expected += [f"exercises/{p.stem}.html" for p in ROOT.glob(book.EXERCISE_PATTERN)]
    missing = [page for page in expected if not (site / page).is_file()]
    assert not missing and len(expected) >= 16, missing
    assert (site / "_static" / "mathjax" / "tex-svg-full.js").stat().st_size > 1_000_000
    assert (site / "searchindex.js").is_file()
    lecture = (site / "notebooks" / "03_gaussian_mixtures.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-svg-full.js" in lecture and "Old Faithful" in lecture
    assert not [w for w in course_site.warnings if "convert" not in w], course_site.warnings


def test_new_lectures_are_found_by_pattern(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for name in ("07_hmms.ipynb", "06_incomplete_data.ipynb", "scratch.ipynb"):
        (tmp_path / "notebooks" / name).write_text("{}")
    assert [p.name for p in book.sources(tmp_path)["lectures"]] == ["06_incomplete_data.ipynb",
                                                                    "07_hmms.ipynb"]


@pytest.mark.parametrize("which", ["course", "demo"])
def test_no_page_refers_to_another_host_for_a_script_style_image_or_frame(which, course_site,
                                                                          demo_site):
    site = course_site.out if which == "course" else demo_site[0]
    remote = []
    for page in _html_pages(site):
        for tag, attribute, url in _resource_urls(page.read_text(encoding="utf-8")):
            if url.startswith(("http:", "https:", "//")):
                remote.append(f"{page.relative_to(site)}: <{tag} {attribute}={url}>")
    assert not remote, remote


class _ResourceParser(HTMLParser):
    """Collects the URLs a page loads by itself (scripts, styles, images, frames, media) with the
    standard library's streaming parser: no tree, so the pages' inline PNGs cost nothing."""

    LOADS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attribute = self.LOADS.get(tag)
        for name, value in attrs:
            if name == attribute:
                self.found.append((tag, name, value or ""))


def _resource_urls(html: str) -> list[tuple[str, str, str]]:
    parser = _ResourceParser()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_resource_scan_finds_remote_scripts_styles_and_images():
    html = ('<html><head><script src="https://cdn.example/mathjax.js"></script>'
            '<link rel="stylesheet" href="//fonts.example/a.css"><link href="_static/b.css">'
            '</head><body><img src="http://img.example/x.png" alt="x"><img src="data:image/png;base64,AAAA">'
            '<a href="https://example.org">a link is not a resource</a></body></html>')
    urls = [url for _, _, url in _resource_urls(html)]
    assert urls == ["https://cdn.example/mathjax.js", "//fonts.example/a.css", "_static/b.css",
                    "http://img.example/x.png", "data:image/png;base64,AAAA"]


def test_the_demo_site_turns_each_slider_into_frames_and_the_command_reports_it(demo_site):
    site, printed = demo_site
    assert "(2 pre-rendered sliders)" in printed
    page = BeautifulSoup((site / "notebooks" / "00_demo.html").read_text(encoding="utf-8"),
                         "html.parser")
    sliders = page.select("div.emcourse-slider")
    assert len(sliders) == 2
    assert [len(s.select("input[type=range]")) for s in sliders] == [1, 1]
    assert [o.string for o in sliders[1].select("select option")] == ["1", "2", "3"]
    frames = json.loads(sliders[0].select_one("script.emcourse-slider-frames").string)["frames"]
    assert len(frames) == 12 and all((site / "notebooks" / f["src"]).is_file() for f in frames)
    assert "interactive(" not in page.get_text() and "Slider (" not in page.get_text()
    assert "12 of its 21 values" in sliders[0].get_text()
    assert all(img.get("alt") for img in page.find_all("img"))


def test_an_unconverted_notebook_shows_no_widget_repr_and_the_build_says_what_to_do(tmp_path,
                                                                                    demo_course):
    course = tmp_path / "course"
    shutil.copytree(demo_course, course)
    path = course / "notebooks" / "00_demo.ipynb"
    nb = nbformat.read(path, 4)
    output = nb.cells[3].outputs[0]
    del output.data[widgets.SLIDER_MIMETYPE]
    output.data["text/plain"] = "interactive(children=(IntSlider(value=1),))"
    del nb.cells[2].outputs[0].metadata["image/png"]
    nbformat.write(nb, path)
    site = book.build(course, tmp_path / "site")
    text = (site.out / "notebooks" / "00_demo.html").read_text(encoding="utf-8")
    assert "interactive(children" not in text and site.sliders == 1
    assert any("cells 3 hold a live widget" in w and "emcourse convert" in w for w in site.warnings)
    assert any("1 figures (cells 2) have no alt text" in w for w in site.warnings)
    with pytest.raises(RuntimeError, match="warnings"):
        book.build(course, tmp_path / "strict", strict=True)


# --- the browser -------------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser checks, but {CHROMIUM} is missing: {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(INSTALL_HINT)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Served:
    """A built site on 127.0.0.1 and a Chromium page that records what goes wrong on it."""

    def __init__(self, site: Path, browser):
        handler = functools.partial(_QuietHandler, directory=str(site))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.site, self.base = site, f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           service_workers="block")
        self.external, self.errors, self.failed = [], [], []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url)
                     if r.url.startswith(self.base) else None)
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}")
                     if r.status >= 400 else None)

    def _route(self, route):
        url = route.request.url
        if url.startswith((self.base, "data:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def close(self):
        self.context.close()
        self.server.shutdown()
        self.server.server_close()

    def visit(self, relative: str) -> dict:
        """Open a page, wait for MathJax and the images, and return what the page holds."""
        response = self.page.goto(self.base + relative, wait_until="load")
        assert response is not None and response.ok, f"{relative}: {response and response.status}"
        self.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        return self.page.evaluate(PAGE_REPORT)

    def problems(self, relative: str, report: dict) -> list[str]:
        """What is wrong on a visited page: untypeset or broken math, raw TeX left in the text,
        images that did not load or have no alt text."""
        found = [f"{relative}: untypeset math {m!r}" for m in report["untypeset"]]
        found += [f"{relative}: MathJax error {m!r}" for m in report["math_errors"]]
        found += [f"{relative}: raw TeX in the text {t!r}" for t in report["raw_tex"]]
        found += [f"{relative}: image did not load {u}" for u in report["broken_images"]]
        found += [f"{relative}: image without alt text {u}" for u in report["no_alt"]]
        return found

    def link_problems(self, links: dict[str, list[str]], ids: dict[str, set]) -> list[str]:
        """Internal links (page → hrefs) whose file is missing or whose #fragment is not an id."""
        found = []
        for page, hrefs in links.items():
            for href in hrefs:
                if not href.startswith(self.base):
                    continue
                url, fragment = urldefrag(href)
                path = urlsplit(url).path.lstrip("/")
                path = path + "index.html" if path.endswith("/") or not path else path
                target = self.site / path
                if not target.is_file():
                    found.append(f"{page}: broken link {href}")
                elif fragment and path in ids and fragment not in ids[path]:
                    found.append(f"{page}: no #{fragment} in {path}")
        return found


PAGE_REPORT = r"""async () => {
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? null :
    new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
  const skip = "pre, code, script, style, textarea, kbd, mjx-container, .highlight";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawTex = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    if (/\$|\\\(|\\\[|\\begin\{/.test(text) && !node.parentElement.closest(skip)) {
      rawTex.push(text.trim().slice(0, 80));
    }
  }
  return {
    untypeset: Array.from(document.querySelectorAll(".math"))
      .filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.slice(0, 80)),
    math_errors: Array.from(document.querySelectorAll("mjx-merror, [data-mjx-error], [data-mml-node=merror]"))
      .map(e => e.getAttribute("data-mjx-error") || e.textContent.slice(0, 80)),
    math_count: document.querySelectorAll("mjx-container").length,
    raw_tex: rawTex,
    broken_images: images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src),
    no_alt: images.filter(img => !(img.getAttribute("alt") || "").trim()).map(img => img.src),
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
    ids: Array.from(document.querySelectorAll("[id]")).map(e => e.id),
    sliders: document.querySelectorAll(".emcourse-slider").length,
  };
}"""

SLIDER_STATE = """root => ({
  src: root.querySelector("img.emcourse-slider-image").currentSrc,
  alt: root.querySelector("img.emcourse-slider-image").alt,
  loaded: root.querySelector("img.emcourse-slider-image").complete &&
          root.querySelector("img.emcourse-slider-image").naturalWidth > 0,
  text: (root.querySelector("pre.emcourse-slider-text") || {}).textContent || "",
  labels: Array.from(root.querySelectorAll("output, select")).map(o =>
    o.tagName === "SELECT" ? o.options[o.selectedIndex].textContent : o.textContent),
})"""


def move_every_slider(served: Served, relative: str) -> tuple[list[str], list[dict]]:
    """Move each slider input of a visited page to another position; the problems found and the
    states seen (each with the labels shown and the frame's alt text)."""
    problems, states = [], []
    for s, root in enumerate(served.page.locator(".emcourse-slider").all()):
        for k, slider in enumerate(root.locator("input[type=range], select").all()):
            before = root.evaluate(SLIDER_STATE)
            if slider.evaluate("e => e.tagName") == "SELECT":
                top = slider.evaluate("e => e.options.length - 1")
                value = slider.evaluate("e => e.selectedIndex")
                slider.select_option(index=top if value != top else 0)
            else:
                top, value = int(slider.get_attribute("max")), int(slider.input_value())
                slider.fill(str(top if value != top else 0))
            served.page.wait_for_function(
                "root => { const img = root.querySelector('img.emcourse-slider-image');"
                " return img.complete && img.naturalWidth > 0; }", arg=root.element_handle())
            after = root.evaluate(SLIDER_STATE)
            states.append(after)
            if after["src"] == before["src"] or not after["loaded"]:
                problems.append(f"{relative}: slider {s} input {k} did not swap its image")
            if after["labels"] == before["labels"]:
                problems.append(f"{relative}: slider {s} input {k} did not update its readout")
    return problems, states


def check_whole_site(site: Path, browser, pages=None) -> tuple[list[str], dict]:
    """Visit every page of ``site`` (or only ``pages``, relative paths) and report what is wrong."""
    served = Served(site, browser)
    try:
        problems, links, ids, summary = [], {}, {}, {"pages": 0, "sliders": 0, "math": 0}
        for relative in pages or [p.relative_to(site).as_posix() for p in _html_pages(site)]:
            report = served.visit(relative)
            problems += served.problems(relative, report)
            links[relative], ids[relative] = report["links"], set(report["ids"])
            moved, _ = move_every_slider(served, relative)
            problems += moved
            summary["pages"] += 1
            summary["sliders"] += report["sliders"]
            summary["math"] += report["math_count"]
        problems += served.link_problems(links, ids)
        problems += [f"request to another host: {url}" for url in served.external]
        problems += served.errors + [f"failed request: {url}" for url in served.failed]
    finally:
        served.close()
    return problems, summary


def test_every_page_of_the_course_site_works_in_chromium(course_site, browser):
    problems, summary = check_whole_site(course_site.out, browser)
    assert not problems, "\n".join(problems)
    assert summary["pages"] >= 16 and summary["math"] > 500, summary
    assert summary["sliders"] == course_site.sliders


def test_the_demo_lecture_works_and_its_sliders_show_the_right_frame(demo_site, browser):
    # Only the demo's lecture page: its other pages come from the same templates as the course
    # site's, every page of which the test above visits.
    site = demo_site[0]
    problems, summary = check_whole_site(site, browser, pages=["notebooks/00_demo.html"])
    assert not problems, "\n".join(problems)
    assert summary["sliders"] == 2 and summary["math"] >= 2, summary
    served = Served(site, browser)
    try:
        served.visit("notebooks/00_demo.html")
        power, wave = served.page.locator(".emcourse-slider").all()
        power.locator("input").fill("11")  # the last recorded value
        state = power.evaluate(SLIDER_STATE)
        assert state["labels"] == ["20"] and "power k = 20" in state["alt"]
        assert state["text"].startswith("k = 20:")
        freq, phase = wave.locator("select"), wave.locator("input")
        freq.select_option(index=2)
        phase.fill("1")
        state = wave.evaluate(SLIDER_STATE)  # C order: frequency 3 with phase 0.5, not the reverse
        assert state["labels"] == ["3", "0.50"] and "freq = 3, phase = 0.5" in state["alt"], state
        served.page.goto(served.base + "search.html?q=slider")
        served.page.wait_for_selector("#search-results li a", timeout=15_000)
        hits = served.page.locator("#search-results li a").evaluate_all("as => as.map(a => a.href)")
        assert any(h.split("#")[0].endswith("notebooks/00_demo.html") for h in hits), hits
    finally:
        served.close()
    assert not served.errors and not served.external


def test_search_finds_the_lecture_on_gaussian_mixtures(course_site, browser):
    served = Served(course_site.out, browser)
    try:
        served.page.goto(served.base + "search.html?q=responsibilities")
        served.page.wait_for_selector("#search-results li a", timeout=20_000)
        hits = served.page.locator("#search-results li a").evaluate_all("as => as.map(a => a.href)")
    finally:
        served.close()
    assert any("notebooks/03_gaussian_mixtures.html" in h for h in hits), hits


BROKEN_PAGE = """<!DOCTYPE html><html><head><title>broken</title></head><body>
<p>Raw math $x^2$ left in the text.</p><span class="math">\\(a + b\\)</span>
<img src="missing.png" alt="a missing image"><img src="ok.png">
<img src="http://example.invalid/remote.png" alt="remote">
<a href="nowhere.html">a broken link</a><a href="#no-such-id">a broken anchor</a>
<div class="emcourse-slider"><div class="emcourse-slider-controls"><div><label for="s">t</label>
<input type="range" id="s" min="0" max="1" value="0" data-labels='["0","1"]'><output>0</output>
</div></div><figure><img class="emcourse-slider-image" src="ok.png" alt="frame 0"></figure>
<script type="application/json" class="emcourse-slider-frames">
{"shape": [2], "frames": [{"src": "ok.png", "alt": "frame 0", "text": ""},
                          {"src": "ok2.png", "alt": "frame 1", "text": ""}]}</script></div>
<script>console.error("something broke")</script>
</body></html>"""


def test_the_browser_checks_catch_what_they_look_for(tmp_path, browser):
    """Each check, shown failing on a page with the fault (no slider.js: the slider stays put)."""
    (tmp_path / "broken.html").write_text(BROKEN_PAGE, encoding="utf-8")
    from PIL import Image

    Image.new("RGB", (8, 8), "white").save(tmp_path / "ok.png")
    served = Served(tmp_path, browser)
    try:
        report = served.visit("broken.html")
        problems = served.problems("broken.html", report)
        problems += move_every_slider(served, "broken.html")[0]
        problems += served.link_problems({"broken.html": report["links"]},
                                         {"broken.html": set(report["ids"])})
    finally:
        served.close()
    text = "\n".join(problems)
    for expected in ("untypeset math", "raw TeX in the text 'Raw math $x^2$", "did not load",
                     "image without alt text", "broken link", "no #no-such-id",
                     "did not swap its image", "did not update its readout"):
        assert expected in text, f"{expected!r} not reported in:\n{text}"
    assert served.external == ["http://example.invalid/remote.png"]
    assert any("something broke" in e for e in served.errors)
    assert any("missing.png" in f for f in served.failed)
