"""Test-suite set-up shared by tests/, notebooks/ and solutions/: one BLAS thread.

The suite does thousands of small linear-algebra operations. Extra BLAS threads only add
overhead there, and on a busy two-core machine they oversubscribe the cores: fits on Old Faithful
were measured 80x slower. The environment variables reach every kernel that nbval and the
grader start (they inherit this process's environment); threadpoolctl limits this process,
whose BLAS may already be loaded. Benchmarks set their own limits. Hypothesis runs derandomized.
"""

import os

from hypothesis import settings
from threadpoolctl import threadpool_limits

# Property tests draw the same examples on every run and keep no example database: a failure
# is reproducible on any machine, and the suite never passes or fails by luck.
settings.register_profile("course", derandomize=True, database=None)
settings.load_profile("course")

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

_BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")

# nbval does not compare slider cells (NBVAL_IGNORE_OUTPUT), so the kernels it starts skip
# pre-rendering their frames for the website (emcourse.widgets.records_frames).
os.environ.setdefault("EMCOURSE_FRAMES", "0")
