"""Input checks shared by emlib's public functions.

Public functions call these at the edge and then trust their inputs; every error names the
argument and says what was wrong, so a student sees "means has shape (3,) but must be 2-D"
instead of an IndexError from deep inside NumPy.
"""

from __future__ import annotations

import inspect
import numbers
import os

import numpy as np

__all__ = [
    "as_float_array",
    "check_real_dtype",
    "as_log_array",
    "as_real_array",
    "check_bool",
    "check_text",
    "check_callable",
    "check_data_matrix",
    "check_distribution",
    "check_instance",
    "check_int",
    "check_n_features",
    "check_real",
    "check_random_state",
    "check_resp",
    "check_doc_topic",
    "check_topic_word",
    "check_vocabulary",
    "check_symbols",
    "check_lengths",
    "check_data_with_missing",
    "check_covariance",
    "check_params",
    "check_allocation",
    "check_mixture_log_joint",
    "check_squares_fit",
]


# dtype kinds accepted as numbers: signed and unsigned integers, and real floats.
_REAL_KINDS = "iuf"
_KIND_NAMES = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "byte strings",
               "M": "dates", "m": "time differences", "O": "Python objects", "V": "raw records"}


def check_real_dtype(array: np.ndarray, name: str) -> None:
    """TypeError unless ``array`` holds real numbers (integers or floats).

    Booleans, complex numbers, strings, dates and objects are never converted silently: a
    boolean is not a count, a complex number has no order, and '1.5' is text.
    """
    kind = array.dtype.kind
    if kind not in _REAL_KINDS:
        what = _KIND_NAMES.get(kind, f"dtype {array.dtype}")
        advice = {"b": f" (for 0/1 values pass {name}.astype(float))",
                  "c": " (pass the real part explicitly if that is what you mean)",
                  "U": " (convert the text to numbers first, e.g. with float())",
                  "S": " (convert the text to numbers first)",
                  "O": " (every entry must be a real number; check for None or mixed types)"}
        raise TypeError(f"{name} must be an array of numbers (real integers or floats), but it "
                        f"holds {what} (dtype {array.dtype}){advice.get(kind, '')}")


def as_float_array(value, name: str, *, ndim: int | None = None, min_size: int = 1,
                   copy: bool = False, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a finite float64 array, or an error naming ``name``.

    Accepted: real integers and floats (lists, tuples, arrays). Rejected with a TypeError:
    booleans, complex numbers, strings, dates, Python objects, and masked arrays (emlib ignores
    no entry silently: fill the mask, or mark missing values as NaN where a function accepts
    them). NaN and ±inf are a ValueError (±inf allowed with ``allow_inf``, NaN never).
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array; emlib does not read masks, so masked entries "
                        f"would be used as if present: pass {name}.filled(value) or select the "
                        "unmasked rows yourself")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:       # e.g. ragged nested lists
        raise TypeError(f"{name} must be an array of numbers ({exc})") from None
    if raw.dtype.kind == "O" and raw.size and all(_is_real_number(v) for v in raw.flat):
        raw = _python_numbers_as_float(raw, name)   # e.g. Python ints past int64
    check_real_dtype(raw, name)
    array = np.array(raw, dtype=np.float64, copy=copy or None)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, but has shape {array.shape}")
    if array.size < min_size:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least {min_size} value(s)")
    if not np.all(np.isfinite(array)) and not (allow_inf and not np.any(np.isnan(array))):
        bad = np.argwhere(np.isnan(array) if allow_inf else ~np.isfinite(array))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(f"{name} must be finite, but {name}{list(where)} = {array[where]}")
    return array


def _is_real_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _python_numbers_as_float(raw: np.ndarray, name: str) -> np.ndarray:
    """An object array of Python real numbers (NumPy makes one for ints past int64) as floats;
    an int beyond float64's range is a ValueError, not an inf."""
    try:
        return raw.astype(np.float64)
    except OverflowError:
        big = next(v for v in raw.flat if isinstance(v, numbers.Integral)
                   and abs(int(v)) > np.finfo(np.float64).max)
        raise ValueError(f"{name} holds the integer {big:.3e}, beyond the largest float "
                         f"({np.finfo(np.float64).max:.3e})") from None


def as_log_array(value, name: str, *, ndim: int | None = None, min_size: int = 1) -> np.ndarray:
    """Like ``as_float_array``, but -inf (the log of a probability 0) is allowed; NaN, +inf not."""
    try:
        return as_float_array(value, name, ndim=ndim, min_size=min_size)
    except ValueError:
        pass                      # perhaps only because of -inf: check again with it masked
    array = np.asarray(value, dtype=np.float64)  # as_float_array above has checked the dtype
    # Re-raises the shape, size, NaN or +inf error (the masked array keeps those entries).
    as_float_array(np.where(array == -np.inf, 0.0, array), name, ndim=ndim, min_size=min_size)
    return array


def as_real_array(value, name: str, *, ndim: int | None = None) -> np.ndarray:
    """``value`` as a float64 array of real numbers of any value — NaN and ±inf included — or a
    TypeError naming ``name`` (booleans, complex numbers, strings, dates, objects, masked
    arrays, None). For the answers a check function judges (``emlib.checks``,
    ``emlib.hmm_reference.check_*``): a NaN there is the mistake to diagnose, not bad input."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be numbers, got {type(value).__name__}")
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array; pass {name}.filled(value) instead")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:       # e.g. ragged nested lists
        raise TypeError(f"{name} must be an array of numbers ({exc})") from None
    if raw.dtype.kind == "O" and raw.size and all(_is_real_number(v) for v in raw.flat):
        raw = _python_numbers_as_float(raw, name)
    check_real_dtype(raw, name)
    array = raw.astype(np.float64)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, but has shape {array.shape}")
    return array


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None,
              maximum_reason: str = "") -> int:
    """Return ``value`` as an int within [minimum, maximum], or raise an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}{maximum_reason}, got {value}")
    return value


def check_real(value, name: str, *, minimum: float | None = None, inclusive: bool = True,
               maximum: float | None = None, why: str = "") -> float:
    """Return ``value`` as a finite float (>= or > ``minimum``, <= ``maximum``), or raise an error
    naming ``name`` (``why``: the reason for the maximum, appended to its message)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if inclusive and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
        if not inclusive and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}{why}, got {value:g}")
    return value


def check_distribution(p: np.ndarray, name: str, *, atol: float = 1e-8) -> None:
    """Raise unless every slice of ``p`` along the last axis is a probability distribution."""
    if np.any(p < 0):
        where = tuple(int(i) for i in np.argwhere(p < 0)[0])
        raise ValueError(f"{name} must be non-negative, but {name}{list(where)} = {p[where]}")
    totals = p.sum(axis=-1)
    off = np.abs(totals - 1.0) > atol
    if np.any(off):
        if p.ndim == 1:
            raise ValueError(f"{name} must sum to 1, but sums to {float(totals):.12g}")
        row = tuple(int(i) for i in np.argwhere(off)[0])
        raise ValueError(f"each row of {name} must sum to 1, but row {list(row)} sums to "
                         f"{float(totals[row]):.12g}")


def check_random_state(random_state) -> np.random.Generator:
    """Turn None, an int seed or a Generator into a ``numpy.random.Generator``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, numbers.Integral)
                                and not isinstance(random_state, bool)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative seed, got {random_state}")
        return np.random.default_rng(random_state)
    raise TypeError("random_state must be None, an int seed or a numpy.random.Generator, "
                    f"got {type(random_state).__name__}")


def check_callable(value, name: str, arguments: tuple[str, ...] | None = None) -> None:
    """TypeError unless ``value`` is None or callable (e.g. a per-iteration callback); with
    ``arguments``, also unless it can be called with that many positional arguments, so that a
    callback of the wrong arity fails here, naming itself, and not in the middle of a fit."""
    if value is None:
        return
    if not callable(value):
        raise TypeError(f"{name} must be callable or None, got {type(value).__name__}")
    if arguments is None:
        return
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):              # some builtins have no signature: trust them
        return
    try:
        signature.bind(*arguments)
    except TypeError as exc:
        call = f"{name}({', '.join(arguments)})"
        raise TypeError(f"{name} must accept {len(arguments)} positional arguments, as in {call}, "
                        f"but its signature is {signature} ({exc})") from None


def check_bool(value, name: str) -> bool:
    """``value`` as a bool (Python or NumPy), or a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_text(value, name: str, *, allow_none: bool = True) -> str | None:
    """``value`` if it is a str (or None when ``allow_none``), else a TypeError naming ``name``:
    an axis label or a title, which matplotlib would otherwise draw from any object's repr."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string{' or None' if allow_none else ''}, got "
                        f"{value!r:.40} ({type(value).__name__})")
    return value


def check_instance(value, cls: type, name: str, hint: str = ""):
    """``value`` unchanged if it is a ``cls``, else a TypeError naming ``name`` (and ``hint``)."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__}{hint}, got {type(value).__name__}")
    return value


def check_data_matrix(X, name: str = "X") -> np.ndarray:
    """An (N, D) data matrix of finite floats; 1-D input gets advice to reshape."""
    X = as_float_array(X, name)
    if X.ndim == 1:
        raise ValueError(f"{name} must be 2-D with shape (n_samples, n_features); got shape "
                         f"{X.shape}. For 1-D data use {name}.reshape(-1, 1).")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (n_samples, n_features), got shape {X.shape}")
    return X


def check_n_features(X: np.ndarray, n_features: int, what: str = "params.means",
                     name: str = "X") -> np.ndarray:
    """ValueError unless the (N, D) ``X`` has ``n_features`` columns, as ``what`` has."""
    if X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features (columns) but {what} has "
                         f"{n_features}; they must match")
    return X


def check_resp(resp, n_samples: int, n_components: int | None = None, *, name: str = "resp",
               atol: float = 1e-6) -> np.ndarray:
    """(N, K) distributions over the components, one row per sample (responsibilities, or any
    q(z) of the ELBO), rows summing to 1 within ``atol``; K checked when given."""
    resp = as_float_array(resp, name, ndim=2)
    if resp.shape[0] != n_samples:
        raise ValueError(f"{name} has {resp.shape[0]} rows but X has {n_samples} samples; "
                         f"{name} must have shape (n_samples, n_components)")
    if n_components is not None and resp.shape[1] != n_components:
        raise ValueError(f"{name} has {resp.shape[1]} columns but the mixture has {n_components} "
                         f"components; {name} must have shape (n_samples, n_components)")
    check_distribution(resp, name, atol=atol)
    return resp


def check_doc_topic(doc_topic, n_docs: int | None = None, n_topics: int | None = None,
                    name: str = "doc_topic") -> np.ndarray:
    """Π (D, K), rows distributions over the topics, as a C-contiguous float array."""
    doc_topic = as_float_array(doc_topic, name, ndim=2)
    if n_docs is not None and doc_topic.shape[0] != n_docs:
        raise ValueError(f"{name} has {doc_topic.shape[0]} rows but counts has {n_docs} "
                         f"documents; {name} must have shape (n_documents, n_topics)")
    if n_topics is not None and doc_topic.shape[1] != n_topics:
        raise ValueError(f"{name} has {doc_topic.shape[1]} columns but there are {n_topics} "
                         f"topics; {name} must have shape (n_documents, n_topics)")
    check_distribution(doc_topic, name)
    return np.ascontiguousarray(doc_topic)


def check_topic_word(topic_word, n_words: int | None = None, n_topics: int | None = None,
                     name: str = "topic_word") -> np.ndarray:
    """Θ (K, V), rows distributions over the vocabulary."""
    topic_word = as_float_array(topic_word, name, ndim=2)
    if n_topics is not None and topic_word.shape[0] != n_topics:
        raise ValueError(f"{name} has {topic_word.shape[0]} rows but there are {n_topics} "
                         f"topics; {name} must have shape (n_topics, n_words)")
    if n_words is not None and topic_word.shape[1] != n_words:
        raise ValueError(f"{name} has {topic_word.shape[1]} columns but counts has {n_words} "
                         f"words; {name} must have shape (n_topics, n_words)")
    check_distribution(topic_word, name)
    return topic_word


def check_vocabulary(vocabulary, n_words: int) -> np.ndarray:
    """V words, one per column of topic_word, as a 1-D object array."""
    if isinstance(vocabulary, (str, bytes)) or not hasattr(vocabulary, "__len__"):
        raise TypeError("vocabulary must be a sequence of words, one per column of topic_word, "
                        f"got {type(vocabulary).__name__}")
    vocabulary = np.asarray(vocabulary, dtype=object)
    if vocabulary.ndim != 1 or vocabulary.size != n_words:
        raise ValueError(f"vocabulary has shape {vocabulary.shape} but topic_word has {n_words} "
                         "words (columns); it needs one word per column")
    return vocabulary


# Largest whole number accepted as a symbol, a length or a total of lengths: well inside intp
# and float64's exact integers, and far beyond any array that fits in memory.
_MAX_INDEX = 2**40


def check_symbols(value, name: str = "X", n_symbols: int | None = None) -> np.ndarray:
    """A 1-D array of symbols (whole numbers 0 … n_symbols − 1, e.g. the observations of a
    categorical hidden Markov model) as an int array, or an error naming ``name``."""
    if np.asarray(value).dtype == bool:
        raise TypeError(f"{name} must hold symbols (whole numbers 0, 1, …), not booleans; "
                        f"convert with {name}.astype(int)")
    array = as_float_array(value, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, one symbol per time step, but has shape "
                         f"{array.shape}")
    bad = (array != np.round(array)) | (array < 0)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must hold symbols 0, 1, 2, … (whole numbers >= 0), but "
                         f"{name}[{i}] = {array[i]}")
    if array.max() > _MAX_INDEX:
        i = int(np.argmax(array))
        raise ValueError(f"{name}[{i}] = {array[i]:.3g} is too large to be a symbol: the "
                         f"emission probabilities would need that many columns (symbols must "
                         f"be whole numbers below {_MAX_INDEX:.3g})")
    if n_symbols is not None and array.max() >= n_symbols:
        i = int(np.argmax(array >= n_symbols))
        raise ValueError(f"{name}[{i}] = {array[i]:g} but there are only {n_symbols} symbols "
                         f"(0 … {n_symbols - 1}) in the emission probabilities")
    return array.astype(np.intp)


def check_lengths(lengths, n_items: int | None, name: str = "lengths") -> np.ndarray:
    """The lengths of S sequences stored one after another in n_items rows: None (one sequence)
    or whole numbers >= 1 summing to n_items (not checked when n_items is None), as an int
    array (S,)."""
    if lengths is None:
        if n_items is None:
            raise TypeError(f"{name} must be given: the length of each sequence")
        return np.array([n_items], dtype=np.intp)
    if isinstance(lengths, numbers.Integral) and not isinstance(lengths, bool):
        lengths = [lengths]
    if np.asarray(lengths).dtype == bool:
        raise TypeError(f"{name} must hold whole numbers (sequence lengths), not booleans")
    array = as_float_array(lengths, name, ndim=1)
    bad = (array != np.round(array)) | (array < 1)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must hold whole numbers >= 1 (the length of each sequence), "
                         f"but {name}[{i}] = {array[i]}")
    if array.sum() > _MAX_INDEX:
        raise ValueError(f"{name} sums to {array.sum():.3g} time steps, too many to store "
                         f"(at most {_MAX_INDEX:.3g}); give realistic sequence lengths")
    if n_items is not None and array.sum() != n_items:
        raise ValueError(f"{name} sums to {array.sum():.0f} but the data have {n_items} rows; "
                         "the sequences are stored one after another, so the lengths must add "
                         "up to the number of rows")
    return array.astype(np.intp)
def check_data_with_missing(X, name: str = "X") -> np.ndarray:
    """An (N, D) float data matrix in which NaN marks a missing entry (and nothing else).

    Anything but real numbers is a TypeError (``check_real_dtype``; a masked array too: mark
    missing entries as NaN instead); ±inf is a ValueError (it is a value, not a missing one); a
    column with no observed entry is a ValueError (nothing can be learnt about it), and so are
    observed entries whose squares overflow (``check_squares_fit``). Returns a new float64 array.
    """
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be an array of numbers (NaN for missing), got "
                        f"{type(X).__name__}")
    if isinstance(X, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array; mark the missing entries as NaN instead "
                        f"({name}.filled(np.nan))")
    try:
        raw = np.asarray(X)
    except (TypeError, ValueError) as exc:        # e.g. ragged nested lists
        raise TypeError(f"{name} must be an array of numbers, NaN for missing ({exc})") from None
    check_real_dtype(raw, name)
    X = np.array(raw, dtype=np.float64)
    if X.ndim != 2:
        hint = f" For 1-D data use {name}.reshape(-1, 1)." if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D with shape (n_samples, n_features), got shape "
                         f"{X.shape}.{hint}")
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    if np.any(np.isinf(X)):
        where = tuple(int(i) for i in np.argwhere(np.isinf(X))[0])
        raise ValueError(f"{name} must be finite where observed (NaN marks a missing entry), but "
                         f"{name}{list(where)} = {X[where]}")
    unobserved = np.all(np.isnan(X), axis=0)
    if np.any(unobserved):
        raise ValueError(f"column {int(np.argmax(unobserved))} of {name} has no observed value; "
                         "drop it, nothing can be estimated about it")
    check_squares_fit(X, name)        # the second moments Σ x̂_n x̂_nᵀ of the observed entries
    return X


def check_covariance(covariance, name: str = "covariance", n_features: int | None = None
                     ) -> np.ndarray:
    """A (D, D) symmetric positive-definite matrix (a copy), or an error naming ``name``."""
    covariance = as_float_array(covariance, name, ndim=2, copy=True)
    d = covariance.shape[0]
    if covariance.shape != (d, d):
        raise ValueError(f"{name} must be square, but has shape {covariance.shape}")
    if n_features is not None and d != n_features:
        raise ValueError(f"{name} has shape {covariance.shape} but must be ({n_features}, "
                         f"{n_features}) to match the {n_features} features")
    scale = max(float(np.abs(covariance).max()), np.finfo(float).tiny)
    if np.abs(covariance - covariance.T).max() > 1e-10 * scale:
        raise ValueError(f"{name} is not symmetric")
    try:
        chol = np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None
    if np.min(np.diag(chol) ** 2 / np.diag(covariance)) <= 10 * d * np.finfo(float).eps:
        raise ValueError(f"{name} is singular to working precision")
    tiny = np.finfo(np.float64).tiny
    if np.min(np.diag(chol)) ** 2 < tiny:      # e.g. a subnormal variance: (x − μ)ᵀΣ⁻¹(x − μ) = inf
        raise ValueError(f"{name} has a variance (Cholesky pivot²) of "
                         f"{np.min(np.diag(chol)) ** 2:.3g}, below the smallest normal float "
                         f"({tiny:.3g}): its precision overflows float64; rescale the data")
    return 0.5 * covariance + 0.5 * covariance.T       # halves first: no overflow near max float


def check_params(params, cls: type, n_features: int, name: str = "params", hint: str = ""):
    """``params`` unchanged if it is a ``cls`` whose ``n_features`` matches the data's; a
    TypeError or ValueError naming ``name`` otherwise."""
    check_instance(params, cls, name, hint)
    if params.n_features != n_features:
        raise ValueError(f"{name} has {params.n_features} features but X has {n_features} "
                         "columns; they must match")
    return params


def _memory_bytes() -> int:
    """This machine's physical memory in bytes (1 TiB where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 2**40


def _bytes_text(n_bytes: float) -> str:
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes:.0f} bytes"


def check_allocation(n_values, name: str, what: str, *, bytes_per_value: int = 8) -> None:
    """ValueError naming ``name`` when the ``n_values`` numbers that ``name`` asks for (``what``,
    e.g. "the (grid_size, 2) grid of q") would not fit in this machine's memory. Called before
    allocating, so an absurd size says what is too large instead of numpy's MemoryError."""
    needed = float(n_values) * bytes_per_value
    available = _memory_bytes()
    if needed > available:
        raise ValueError(f"{name} is too large: {what} would need {_bytes_text(needed)} of memory, "
                         f"more than this machine has ({_bytes_text(available)})")


def check_mixture_log_joint(estimate, X, params, name: str = "X",
                            params_name: str = "params") -> np.ndarray:
    """``estimate(X, params)``, the (N, K) log π_k + log N(x_n | μ_k, Σ_k) of a mixture (e.g.
    ``emlib.gmm.estimate_log_prob``), computed with float64's overflow warnings silenced and
    checked before anything is built on it.

    NaN or +inf means the parameters cannot be evaluated in float64 (e.g. a covariance so close
    to 0 that its precision overflows): a ValueError naming ``params_name``. A row that is -inf
    for every component means point n is so far from all of them that its squared distance
    overflows (no mixture gives a finite point density exactly 0): a ValueError naming ``name``.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log_joint = estimate(X, params)
    if np.any(np.isnan(log_joint) | (log_joint == np.inf)):
        raise ValueError(f"{params_name} cannot be evaluated in float64: its log-densities are not "
                         "finite (a covariance too close to 0, or too large?); rescale the data "
                         "(emlib.datasets.standardize) or increase reg_covar")
    impossible = np.all(log_joint == -np.inf, axis=-1)
    if np.any(impossible):
        n = int(np.flatnonzero(impossible.ravel())[0])
        raise ValueError(f"{name}[{n}] is so far from every component of {params_name} that its "
                         "squared Mahalanobis distance overflows float64 (its density is below "
                         "the smallest float); rescale the data (emlib.datasets.standardize)")
    return log_joint


def check_squares_fit(X: np.ndarray, name: str = "X", *, centre=None,
                      centre_name: str | None = None) -> None:
    """ValueError naming ``name`` unless the squares of the (N, D) ``X`` (about ``centre``, a (D,)
    point, when given) and their sums over all N·D entries fit in float64.

    EM's second moments Σ_n γ_nk (x_n − c)(x_n − c)ᵀ, k-means++'s squared distances and the
    quadratic features x_i x_j all square the data; an entry beyond √(max float / (16 N D))
    (about 6e152 for 32 entries) overflows them to inf, and then to NaN, several calls deep. With
    ``centre``, an X that is fine by itself but far from the centre is ``centre_name``'s fault.
    NaN entries (missing values, ``check_data_with_missing``) are skipped.
    """
    limit = np.sqrt(np.finfo(np.float64).max / (16.0 * max(X.size, 1)))
    magnitude = np.where(np.isnan(X), 0.0, np.abs(X))      # NaN: a missing entry, no square
    biggest = float(magnitude.max()) if X.size else 0.0
    if biggest > limit:
        where = tuple(int(i) for i in np.unravel_index(np.argmax(magnitude), X.shape))
        raise ValueError(f"{name} is too large for float64: {name}{list(where)} = {X[where]:.3g}, "
                         f"but the squares of its {X.size} entries and their sums only fit if "
                         f"every |entry| is at most {limit:.3g}; rescale the data "
                         "(emlib.datasets.standardize)")
    if centre is None:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        spread = float(np.nanmax(np.abs(X - centre))) if X.size else 0.0
    if not spread <= limit:
        raise ValueError(f"{centre_name} is too far from {name}: the largest |{name} − "
                         f"{centre_name}| is {spread:.3g}, but its squares and their sums only "
                         f"fit in float64 up to {limit:.3g}; choose {centre_name} near the data")
