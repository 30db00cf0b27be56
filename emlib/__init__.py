"""emlib: the small, tested library behind the EM course notebooks.

Modules (one concept each):

- ``emlib.gmm`` — EM for full-covariance Gaussian mixtures (``e_step``, ``m_step``, ``fit``).
"""

__version__ = "0.1.0"
