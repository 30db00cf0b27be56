"""Every assert of notebook 07 fails on a plausible wrong version of what it checks.

The notebook's own code cells are executed here (by cell id, matplotlib on Agg), once as written
— every check passes — and once per *mutant*: a copy of a cell's source with one realistic
mistake (ξ not normalised, an off-by-one between the forward and backward messages, ξ summed
over the wrong axis, an unscaled forward pass that underflows, the sequences' lengths
forgotten, ...). Each top-level statement of every ``*-check`` cell is run on its own, so
``test_every_check_statement_has_a_mutant`` can insist that no assert is left that cannot fail.
"""

from __future__ import annotations

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

from notebook_mutants import NotebookCells  # noqa: E402  (after the backend is chosen)

NOTEBOOK = NotebookCells("07_hidden_markov_models.ipynb", memoize=("hmm.fit", "gmm.fit"))
CELLS, CHECKS = NOTEBOOK.cells, NOTEBOOK.checks
statements, run, check, _execute = NOTEBOOK.statements, NOTEBOOK.run, NOTEBOOK.check, NOTEBOOK.execute

# The code cells each check cell needs, in notebook order (figures and the slider left out).
CASINO = ["imports", "casino-sample"]
FORWARD = CASINO + ["brute-force-run", "forward-unscaled-def"]
POSTERIORS = FORWARD + ["forward-scaled-def", "posteriors-def", "posteriors-run"]
BAUM_WELCH = POSTERIORS + ["m-step-def", "baum-welch-start", "baum-welch-run"]
GEYSER = ["imports", "geyser-data"]
NEEDS = {
    "casino-sample-check": CASINO,
    "brute-force-check": CASINO + ["brute-force-run"],
    "forward-unscaled-check": FORWARD + ["forward-unscaled-run"],
    "forward-scaled-check": FORWARD + ["forward-scaled-def", "forward-scaled-run"],
    "posteriors-check": POSTERIORS,
    "baum-welch-check": BAUM_WELCH,
    "statistics-check": BAUM_WELCH + ["statistics-run"],
    "viterbi-check": POSTERIORS + ["viterbi-def", "viterbi-run"],
    "impossible-check": ["imports", "impossible-run"],
    "sequences-check": CASINO + ["baum-welch-start", "sequences-run"],
    "geyser-data-check": GEYSER,
    "geyser-fit-check": GEYSER + ["geyser-fit-run"],
    "gaussian-hmmlearn-check": GEYSER + ["gaussian-hmmlearn-run"],
    "switching-check": GEYSER + ["switching-run"],
    "symmetric-check": CASINO + ["baum-welch-start", "symmetric-run"],
    "widget-check": ["imports", "widget-def", "widget-run"],
}


# --------------------------------------------------------------------------------------------
# As written, every check passes
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("check_id", sorted(NEEDS))
def test_checks_pass_on_the_notebook_as_written(check_id):
    namespace = run(NEEDS[check_id])
    for statement, _ in statements(check_id):
        check(namespace, statement)


def test_every_check_cell_has_its_dependencies_listed():
    assert sorted(CHECKS) == sorted(NEEDS)


# --------------------------------------------------------------------------------------------
# Mutants: (name, check cell, statement indices it must break, edits)
# --------------------------------------------------------------------------------------------
MUTANTS = [
    ("sampler that forgets the previous state (every row of A = π)", "casino-sample-check",
     [0], [("casino-sample", "rolls, dice = hmm.sample(casino, 1000",
            "rolls, dice = hmm.sample(hmm.CategoricalHMMParams(casino.initial, "
            "[casino.initial] * 2, casino.emissions), 1000")]),
    ("sampler with the two switching probabilities swapped", "casino-sample-check", [0, 3],
     [("casino-sample", "rolls, dice = hmm.sample(casino, 1000",
       "rolls, dice = hmm.sample(hmm.CategoricalHMMParams(casino.initial, "
       "[[0.9, 0.1], [0.05, 0.95]], casino.emissions), 1000")]),
    ("path posterior not normalised by p(X)", "brute-force-check", [0],
     [("brute-force-run", "np.exp(log_joints - log_px)", "np.exp(log_joints)")]),
    ("arg-min instead of arg-max", "brute-force-check", [1],
     [("brute-force-run", "paths[np.argmax(log_joints)]", "paths[np.argmin(log_joints)]")]),
    ("forward recursion with Aᵀ", "forward-unscaled-check", [0],
     [("forward-unscaled-def", "f[t - 1] @ params.transitions", "f[t - 1] @ params.transitions.T")]),
    ("forward recursion without the evidence e_t", "forward-unscaled-check", [0],
     [("forward-unscaled-def", "params.transitions) * e[t]", "params.transitions)")]),
    ("underflow 'tested' on a sequence too short to show it", "forward-unscaled-check", [1],
     [("forward-unscaled-run", "forward_unscaled(rolls, casino)", "forward_unscaled(rolls[:100], casino)")]),
    ("scaled pass that never normalises (underflows like the unscaled one)",
     "forward-scaled-check", [0, 2],
     [("forward-scaled-def", "f_hat[t] = unnormalised / c[t]", "f_hat[t] = unnormalised")]),
    ("log-likelihood from the last normalised message, scales forgotten",
     "forward-scaled-check", [1, 3],
     [("forward-scaled-run", "scaled_long = np.sum(np.log(c))", "scaled_long = np.log(f_hat[-1].sum())")]),
    ("ξ not normalised (c_{t+1} missing)", "posteriors-check", [0, 2],
     [("posteriors-def", " / c[1:, None]", "")]),
    ("ξ pairs f̂_t with e_t (off by one)", "posteriors-check", [0, 2],
     [("posteriors-def", "(e[1:] * b_hat[1:]", "(e[:-1] * b_hat[1:]")]),
    ("ξ with its axes swapped (rows for z_{t+1})", "posteriors-check", [0, 2],
     [("posteriors-def", "f_hat[:-1, :, None]", "f_hat[:-1, None, :]"),
      ("posteriors-def", "[:, None, :])         # xi_t(j, k)", "[:, :, None])         # xi_t(j, k)")]),
    ("backward pass with Aᵀ", "posteriors-check", [0, 1],
     [("posteriors-def", "params.transitions @ (", "params.transitions.T @ (")]),
    ("backward scaled by c_t instead of c_{t+1} (off by one)", "posteriors-check", [0, 1],
     [("posteriors-def", "b_hat[t + 1]) / c[t + 1]", "b_hat[t + 1]) / c[t]")]),
    ("log-likelihood without c_0", "posteriors-check", [3],
     [("posteriors-def", "return resp, xi, np.sum(np.log(c))", "return resp, xi, np.sum(np.log(c[1:]))")]),
    ("π from every γ_t instead of γ_0", "baum-welch-check", [0],
     [("m-step-def", "initial = resp[0] ", "initial = resp.mean(axis=0) ")]),
    ("transition counts summed over the wrong axis (k → j)", "baum-welch-check", [0],
     [("m-step-def", "transition_counts = xi.sum(axis=0)  ", "transition_counts = xi.sum(axis=0).T")]),
    ("library run for one iteration fewer", "baum-welch-check", [1],
     [("baum-welch-run", "max_iter=n_iter, tol=0.0)", "max_iter=n_iter - 1, tol=0.0)")]),
    ("history without the final parameters' log-likelihood", "baum-welch-check", [2],
     [("m-step-def", "    log_likelihoods.append(posteriors_by_hand(x, params)[2])\n", "")]),
    ("emission counts paired with the next step's γ (off by one)", "baum-welch-check", [3],
     [("m-step-def", "resp.T @ np.eye(n_symbols)[x]", "resp[1:].T @ np.eye(n_symbols)[x[:-1]]")]),
    ("a wrap-around pair from the last step to the first counted", "statistics-check", [0, 2],
     [("statistics-run", "statistics = library_fit.statistics ",
       "statistics = type(library_fit.statistics)(library_fit.statistics.initial, "
       "library_fit.statistics.transitions + np.outer(library_fit.resp[-1], library_fit.resp[0]), "
       "library_fit.statistics.emissions) ")]),
    ("the last step's emission not counted", "statistics-check", [1],
     [("statistics-run", "statistics = library_fit.statistics ",
       "statistics = type(library_fit.statistics)(library_fit.statistics.initial, "
       "library_fit.statistics.transitions, library_fit.statistics.emissions "
       "- np.outer(library_fit.resp[-1], np.eye(6)[rolls[-1]])) ")]),
    ("backtracking reads ψ_{t−1} instead of ψ_t (off by one)", "viterbi-check", [0, 1],
     [("viterbi-def", "path[t - 1] = back[t, path[t]]", "path[t - 1] = back[t - 1, path[t]]")]),
    ("maximum over the wrong axis", "viterbi-check", [2],
     [("viterbi-def", "delta = scores.max(axis=0) + log_e[t]", "delta = scores.max(axis=1) + log_e[t]")]),
    ("'Viterbi' that is posterior decoding", "viterbi-check", [3, 4],
     [("viterbi-run", "path, log_joint_best = viterbi_by_hand(rolls, casino)",
       "path = resp.argmax(axis=1); log_joint_best = log_joint(rolls, path, casino)")]),
    ("'posterior decoding' that is Viterbi", "impossible-check", [0, 2],
     [("impossible-run", "posterior_cycle = resp_cycle.argmax(axis=1)",
       "posterior_cycle = hmm.viterbi(x_cycle, cycle)[0]")]),
    ("the two decodings mixed up: the posterior path reported as Viterbi's", "impossible-check",
     [3], [("impossible-run",
            "viterbi_cycle, viterbi_cycle_log_joint = hmm.viterbi(x_cycle, cycle)",
            "viterbi_cycle, viterbi_cycle_log_joint = posterior_cycle, hmm.viterbi(x_cycle, cycle)[1]")]),
    ("lengths forgotten: 40 evenings run together as one", "sequences-check", [0],
     [("sequences-run", "casino, lengths=evenings)", "casino)")]),
    ("lengths forgotten in the fit", "sequences-check", [1],
     [("sequences-run", "lengths=evenings, max_iter=20", "max_iter=20")]),
    ("eruptions out of order", "geyser-data-check", [0],
     [("geyser-data", "duration = geyser[:, :1]", "duration = np.random.default_rng(0).permutation(geyser[:, :1])")]),
    ("a mixture as an HMM that starts uniformly instead of from π", "geyser-fit-check", [0],
     [("geyser-fit-check", "hmm.from_mixture(mixture_fit.params)",
       "hmm.GaussianHMMParams([0.5, 0.5], np.tile(mixture_fit.params.weights, (2, 1)), "
       "mixture_fit.params.means, mixture_fit.params.covariances)")]),
    ("an HMM whose transitions are never learnt (a mixture)", "geyser-fit-check", [1, 2, 3],
     [("geyser-fit-run", "hmm_runs = [hmm.fit(duration, 2, random_state=seed, max_iter=500, tol=1e-10) "
       "for seed in range(5)]",
       "import types\nhmm_runs = [types.SimpleNamespace(params=hmm.from_mixture(g.params), "
       "objectives=g.log_likelihoods) for g in [gmm.fit(duration, 2, random_state=seed, "
       "max_iter=500, tol=1e-10) for seed in range(5)]]")]),
    ("an inexact M-step (a large regulariser)", "geyser-fit-check", [4],
     [("geyser-fit-run", "max_iter=500, tol=1e-10) for seed in range(5)]",
       "max_iter=500, tol=1e-10, reg_covar=0.01) for seed in range(5)]")]),
    ("regulariser left at its default against hmmlearn without one", "gaussian-hmmlearn-check",
     [0], [("gaussian-hmmlearn-run", ", reg_covar=0.0)", ")")]),
    ("an inexact M-step (reg_covar = 0.1)", "gaussian-hmmlearn-check", [1],
     [("gaussian-hmmlearn-run", "reg_covar=0.0)", "reg_covar=0.1)")]),
    ("every restart from the same seed", "switching-check", [0],
     [("switching-run", "random_state=seed, max_iter=1000", "random_state=1, max_iter=1000")]),
    ("restarts stopped far too early", "switching-check", [1],
     [("switching-run", "tol=1e-9)", "tol=1e-2)")]),
    ("the same start twice (no label switching to see)", "switching-check", [3],
     [("switching-run", "for seed in range(5)]", "for seed in (0, 1, 2, 2, 2)]")]),
    ("fits compared without matching the states", "switching-check", [4],
     [("switching-check", "permute=True", "permute=False")]),
    ("a start that is not exactly symmetric", "symmetric-check", [0],
     [("symmetric-run", "[[0.1, 0.2, 0.1, 0.2, 0.1, 0.3]] * 2)",
       "[[0.1, 0.2, 0.1, 0.2, 0.1, 0.3], [0.1, 0.2, 0.1, 0.2, 0.11, 0.29]])")]),
    ("the asymmetric start itself", "symmetric-check", [1],
     [("symmetric-run", "stuck = hmm.fit(rolls, 2, init=symmetric,", "stuck = hmm.fit(rolls, 2, init=start,")]),
    ("decoding that ignores the slider's transitions", "widget-check", [0, 1],
     [("widget-def", "hmm.sticky_transitions(2, self_transition)", "hmm.sticky_transitions(2, 0.5)")]),
]


@pytest.mark.parametrize("name, check_id, broken, edits", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_check_fails_on_a_plausible_wrong_version(name, check_id, broken, edits):
    NOTEBOOK.assert_breaks(NEEDS[check_id], check_id, broken, edits)


def test_every_check_statement_has_a_mutant():
    missing = NOTEBOOK.uncovered(MUTANTS)
    assert not missing, f"notebook checks no test shows failing: {missing}"


# --------------------------------------------------------------------------------------------
# The exercise set: each hidden test catches a typical mistake
# --------------------------------------------------------------------------------------------
SOLUTION = NOTEBOOK.path.parents[1] / "solutions" / "07_hidden_markov_models.ipynb"
EXERCISE = {cell.metadata["nbgrader"]["grade_id"]: cell.source
            for cell in nbformat.read(SOLUTION, as_version=4).cells if cell.cell_type == "code"}
ANSWERS = ["setup", "forward", "backward", "m-step", "baum-welch"]

EXERCISE_MUTANTS = [
    ("unscaled forward pass, normalised only for output (underflows on 5,000 rolls)",
     "forward-test",
     [("forward", "prediction = f_hat[t] @ transitions", "prediction = unnormalised @ transitions"),
      ("forward", "log_scales[t] = np.log(c)",
       "log_scales[t] = np.log(c) - (np.log(previous) if t else 0.0); previous = c")]),
    ("transitions applied as A @ f", "forward-test",
     [("forward", "prediction = f_hat[t] @ transitions", "prediction = transitions @ f_hat[t]")]),
    ("ξ not divided by c_{t+1}", "backward-test",
     [("backward", "e[1:] * b_hat[1:] / np.exp(log_scales[1:])[:, None]", "e[1:] * b_hat[1:]")]),
    ("ξ with its axes swapped", "backward-test",
     [("backward", "f_hat[:-1, :, None] * np.asarray(transitions)[None] * weighted[:, None, :]",
       "f_hat[:-1, None, :] * np.asarray(transitions)[None] * weighted[:, :, None]")]),
    ("ξ pairing f̂_t with e_t (off by one)", "backward-test",
     [("backward", "weighted = e[1:] * b_hat[1:]", "weighted = e[:-1] * b_hat[1:]")]),
    ("backward pass with Aᵀ", "backward-test",
     [("backward", "b_hat[t] = transitions @ (", "b_hat[t] = np.transpose(transitions) @ (")]),
    ("transition counts normalised over columns", "m-step-test",
     [("m-step", "counts / counts.sum(axis=1, keepdims=True)", "counts / counts.sum(axis=0, keepdims=True)")]),
    ("π from every γ_t", "m-step-test",
     [("m-step", "new_initial = resp[0]", "new_initial = resp.mean(axis=0)")]),
    ("emissions counted with the symbols that occur only", "m-step-test",
     [("m-step", "np.eye(n_symbols)[x]", "np.eye(int(np.max(x)) + 1)[x]")]),
    ("log-likelihood history without the start", "baum-welch-test",
     [("baum-welch", "log_likelihoods = [forward(x, *params)[1].sum()]", "log_likelihoods = []")]),
    ("one iteration too few", "baum-welch-test",
     [("baum-welch", "for _ in range(n_iter):", "for _ in range(n_iter - 1):")]),
]


def _run_exercise(edits, test_id, *, visible_only=False):
    namespace = {}
    for grade_id in ANSWERS:
        source = EXERCISE[grade_id]
        for target, old, new in edits:
            if target == grade_id:
                assert old in source, f"mutant edit {old!r} not found in {grade_id!r}"
                source = source.replace(old, new)
        _execute(source, grade_id, namespace)
    test = EXERCISE[test_id]
    _execute(test.split("### BEGIN HIDDEN TESTS")[0] if visible_only else test, test_id, namespace)


def test_the_exercise_solution_passes_its_tests_in_process():
    for test_id in ("forward-test", "backward-test", "m-step-test", "baum-welch-test"):
        _run_exercise([], test_id)


@pytest.mark.parametrize("name, test_id, edits", EXERCISE_MUTANTS,
                         ids=[m[0] for m in EXERCISE_MUTANTS])
def test_exercise_tests_catch_a_typical_mistake(name, test_id, edits):
    with pytest.raises(AssertionError):
        _run_exercise(edits, test_id)


def test_the_unscaled_forward_pass_passes_the_visible_test_and_fails_a_hidden_one():
    """What the hidden long sequence is for: 300 rolls do not underflow yet."""
    edits = EXERCISE_MUTANTS[0][2]
    _run_exercise(edits, "forward-test", visible_only=True)
    with pytest.raises(AssertionError, match="5,000 rolls"):
        _run_exercise(edits, "forward-test")
