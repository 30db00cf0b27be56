"""The data of notebook 06: airquality (real missing values) and the digits."""

import matplotlib
import numpy as np
import pytest

from emlib import datasets, missing

matplotlib.use("Agg")


def test_airquality_matches_rs_published_summary():
    X = datasets.airquality()
    assert X.shape == (153, 6)
    assert np.isnan(X).sum(axis=0).tolist() == [37, 7, 0, 0, 0, 0]
    # R: summary(airquality) gives these means.
    np.testing.assert_allclose(np.nanmean(X, axis=0)[:4], [42.12931, 185.9315, 9.957516, 77.88235],
                               rtol=1e-6)
    assert X[0].tolist() == [41.0, 190.0, 7.4, 67.0, 5.0, 1.0]
    X[0, 0] = -1.0
    assert datasets.airquality()[0, 0] == 41.0                     # a fresh copy each call


def test_digits():
    X, labels = datasets.digits()
    assert X.shape == (1797, 61) and labels.shape == (1797,) and set(labels) == set(range(10))
    assert np.all(X.std(axis=0) > 0)
    assert datasets.digits(drop_constant=False)[0].shape == (1797, 64)
    with pytest.raises(TypeError, match="drop_constant"):
        datasets.digits(drop_constant=1)


def test_plot_mechanism_bias():
    import matplotlib.pyplot as plt

    from emlib.plotting import plot_mechanism_bias

    params = missing.GaussianParams([0.0, 0.0], [[1.0, 0.7], [0.7, 1.0]])
    fig, ax = plt.subplots()
    returned = plot_mechanism_bias(params, "MNAR", 0.3, ax=ax, n_samples=40, n_repeats=4)
    assert returned is ax and len(ax.patches) >= 9 and ax.get_ylim() == (-8.0, 8.0)
    assert "MNAR" in ax.get_title()
    with pytest.raises(TypeError, match="ax"):
        plot_mechanism_bias(params, ax="axes")
    with pytest.raises(ValueError, match="mechanism"):
        plot_mechanism_bias(params, "NMAR", ax=ax, n_samples=40, n_repeats=4)
    plt.close(fig)
