"""The problem contract (dualkit/problems/base.py), checked on every problem class of dualkit.

In the spirit of scikit-learn's common estimator checks: each case below is a small instance of
one class; every test runs over all of them. A new problem class must be added to ``CASES``
(``test_every_problem_class_has_a_case`` fails otherwise) and then passes these checks or says in
its case why a check does not apply (``certified=False`` where the book shows a duality gap,
``bound=False`` where no certified lower bound exists).
"""

from __future__ import annotations

import inspect
import pathlib
import re
from dataclasses import dataclass, field

import numpy as np
import pytest

import dualkit as dk
from dualkit.problems.base import CERT_TOL, DualConstraint, Problem, certify


@dataclass
class Case:
    cls: type
    data: tuple
    params: dict = field(default_factory=dict)
    frac: float = 0.3            # beta = frac * beta_max
    beta: float | None = None    # a fixed beta where the class has no zero threshold
    certified: bool = True       # solve() at this beta is certified
    bound: bool = True           # lower_bound() is a float
    depth: int = 2               # number of layers (a sequence width has depth - 1 entries)
    name: str = ""

    def __post_init__(self):
        self.name = self.name or self.cls.__name__


def _cases() -> list[Case]:
    X, y = dk.data.gaussian(n=20, d=5, seed=0)
    Xv, Yv = dk.data.vector_regression(n=20, d=5, K=3, seed=0)
    x1, y1 = dk.data.points_1d(n=12, seed=0)
    Xr, yr = dk.data.rank_one(n=15, d=4, seed=0)
    Xm, ym = dk.data.rank_one(n=15, d=4, seed=0, mixed_sign=True)
    X2, y2 = dk.data.gaussian(n=8, d=2, seed=1)
    return [
        Case(dk.TwoLayerLinear, (X, y)),
        Case(dk.TwoLayerLinear, (Xv, Yv), name="TwoLayerLinear-vector"),
        Case(dk.TwoLayerLinear, (X, np.sign(y)), {"loss": "hinge"}, name="TwoLayerLinear-hinge"),
        Case(dk.DeepLinear, (X, y), {"depth": 3}, depth=3),
        # non-convex at depth 3: its Lagrangian dual has a gap; lower_bound() is the exactly
        # computed optimum (the book's 1-D search), above the dual value
        Case(dk.DeepLinearWeightDecay, (X, y), {"depth": 3}, certified=False, depth=3),
        Case(dk.ReLU1D, (x1, y1)),
        # depth > 2 needs inputs >= 0
        Case(dk.ReLU1D, (x1 - x1.min() + 0.1, y1), {"depth": 3}, depth=3, name="ReLU1D-deep"),
        # no convex program and no known zero threshold (the zero network is a local minimum at
        # every beta): a fixed beta
        Case(dk.StandardDeepReLU1D, (x1, y1), {"depth": 3}, beta=0.1, certified=False,
             bound=False, depth=3),
        Case(dk.RankOneReLU, (Xr, yr), {"depth": 4}, depth=4),
        Case(dk.RankOneReLUMixed, (Xm, ym), certified=False, depth=3),
        Case(dk.TwoLayerReLU, (X2, y2)),
    ]


CASES = _cases()
IDS = [c.name for c in CASES]
SOLVABLE = [c for c in CASES if c.bound]
SOLVABLE_IDS = [c.name for c in SOLVABLE]


def _concrete_subclasses(cls) -> set[type]:
    out = set()
    for sub in cls.__subclasses__():
        if not inspect.isabstract(sub) and sub.__module__.startswith("dualkit."):
            out.add(sub)
        out |= _concrete_subclasses(sub)
    return out


def _beta_max(case: Case) -> float:
    return case.cls.beta_max_for(*case.data, **case.params)


def _problem(case: Case, frac: float | None = None) -> Problem:
    if case.beta is not None:
        return case.cls(*case.data, case.beta, **case.params)
    frac = case.frac if frac is None else frac
    return case.cls(*case.data, frac * _beta_max(case), **case.params)


def _close(a: float, b: float, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


# ---------------------------------------------------------------------------- the class itself
def test_every_problem_class_has_a_case():
    assert {c.cls for c in CASES} == _concrete_subclasses(Problem)
    assert inspect.isabstract(Problem)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_signatures(case):
    solve = inspect.signature(case.cls.solve).parameters
    assert solve["method"].default == "auto"
    assert solve["width"].default is None
    assert solve["verbose"].default is False
    net = inspect.signature(case.cls.network).parameters
    assert "width" in net and "seed" in net
    path = inspect.signature(case.cls.path).parameters
    assert "betas" in path and "width" in path
    assert isinstance(case.cls.default_width, int) and case.cls.default_width >= 1
    for name in ("objective", "dual_objective", "dual_constraint", "feasible_dual", "solve",
                 "network", "torch_objective", "with_beta", "path", "lower_bound", "gap",
                 "beta_max_for"):
        assert inspect.getdoc(getattr(case.cls, name)), f"{case.name}.{name} has no docstring"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_beta_max_from_data_alone(case):
    if case.beta is not None:
        with pytest.raises(RuntimeError):
            _beta_max(case)
        return
    bmax = _beta_max(case)
    assert isinstance(bmax, float) and np.isfinite(bmax) and bmax > 0
    assert _close(_problem(case).beta_max, bmax, 1e-12)
    repr(_problem(case))


# ---------------------------------------------------------------------------- solving
@pytest.fixture(scope="module")
def solved():
    out = {}
    for case in SOLVABLE:
        prob = _problem(case)
        out[case.name] = (prob, prob.solve())
    return out


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_solution_is_consistent(case, solved):
    prob, sol = solved[case.name]
    assert isinstance(sol, dk.Solution) and isinstance(sol.method, str)
    assert sol.beta == prob.beta
    assert _close(prob.objective(sol.weights), sol.value, 1e-9)
    assert sol.dual is None or isinstance(sol.dual, np.ndarray)
    if sol.dual is not None:
        assert _close(prob.dual_objective(sol.dual), sol.dual_value, 1e-9)
        con = prob.dual_constraint(sol.dual)
        assert isinstance(con, DualConstraint) and con.holds
    assert sol.w is None or isinstance(sol.w, np.ndarray)
    assert sol.certified is case.certified
    # weak duality always; strong duality exactly where the case says the solve is certified
    assert sol.value >= sol.dual_value - 1e-9 * abs(sol.value)
    if case.certified:
        assert sol.rel_gap <= 1e-6


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_auto_is_the_default_and_none_its_alias(case, solved):
    prob, sol = solved[case.name]
    other = prob.solve(method="auto")
    assert other.method == sol.method and _close(other.value, sol.value, 1e-12)
    with pytest.warns(DeprecationWarning, match="method=None"):
        other = prob.solve(method=None)
    assert other.method == sol.method and _close(other.value, sol.value, 1e-12)
    with pytest.raises(ValueError, match="method"):
        prob.solve(method="no-such-method")


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_width_of_returned_weights(case, solved):
    prob, sol = solved[case.name]
    for width in (40, [40] * (case.depth - 1)):     # at least the optimum's neuron count
        s = prob.solve(width=width)
        assert _close(prob.objective(s.weights), s.value, 1e-9)
        assert _close(s.value, sol.value, 1e-9)


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_verbose_prints(case, solved, capsys):
    prob, _ = solved[case.name]
    prob.solve(verbose=True)
    assert capsys.readouterr().out.strip()
    prob.solve()
    assert not capsys.readouterr().out.strip()


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_feasible_dual_is_an_array_and_a_bound(case, solved):
    prob, sol = solved[case.name]
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1.0, 1e3):
        lam = scale * rng.standard_normal(np.shape(prob.y))
        if getattr(prob.loss, "name", "") == "hinge":
            lam = np.clip(lam * prob.y, 0, 1) * prob.y
        feas = prob.feasible_dual(lam)
        assert isinstance(feas, np.ndarray) and feas.shape == np.shape(lam)
        assert prob.dual_constraint(feas).holds
        g = prob.dual_objective(feas)
        assert np.isfinite(g) and g <= sol.value + 1e-9 * abs(sol.value)


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_lower_bound_and_gap(case, solved):
    prob, sol = solved[case.name]
    bound = prob.lower_bound()
    assert isinstance(bound, float) and bound >= sol.dual_value - 1e-9 * abs(bound)
    if case.certified:
        assert _close(bound, sol.dual_value, 1e-9)
    # two gaps of rounding size (different forward passes): an absolute tolerance
    assert abs(prob.gap(sol.weights) - (sol.value - bound)) <= 1e-9 * abs(sol.value)
    net = prob.network(width=3, seed=0)
    assert prob.gap(net) >= -1e-9 * abs(bound)


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_with_beta_shares_data_and_equals_a_fresh_problem(case, solved):
    prob, _ = solved[case.name]
    beta = 0.5 * prob.beta
    other = prob.with_beta(beta)
    assert type(other) is type(prob) and other.beta == beta and prob.beta != beta
    assert other.X is prob.X and other.y is prob.y
    fresh = case.cls(*case.data, beta, **case.params)
    assert _close(other.solve().value, fresh.solve().value, 1e-9)
    assert _close(other.beta_max, prob.beta_max, 1e-12)
    with pytest.raises(ValueError, match="beta"):
        prob.with_beta(-1.0)


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_path_equals_with_beta_solves(case, solved):
    prob, _ = solved[case.name]
    betas = [0.2 * prob.beta_max, 0.6 * prob.beta_max]
    sols = prob.path(betas)
    assert [s.beta for s in sols] == betas
    for b, s in zip(betas, sols, strict=True):
        assert _close(s.value, prob.with_beta(b).solve().value, 1e-9)


@pytest.mark.parametrize("case", SOLVABLE, ids=SOLVABLE_IDS)
def test_beta_max_is_the_threshold(case, solved):
    """Above beta_max the optimum no longer changes with beta (no regularized weight is used);
    below it, it does."""
    prob, _ = solved[case.name]
    bmax = prob.beta_max
    above = [prob.with_beta(f * bmax).solve().value for f in (1.01, 2.0)]
    assert _close(above[0], above[1], 1e-9)
    assert prob.with_beta(0.9 * bmax).solve().value < above[0] * (1 - 1e-9)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_network_width(case):
    prob = _problem(case)
    for width in (None, 3, [3] * (case.depth - 1)):
        net = prob.network(width=width, seed=0)
        assert np.isfinite(prob.objective(net))
    for bad in (True, 0, -2, 2.5, "3"):
        with pytest.raises(ValueError, match="width"):
            prob.network(width=bad)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_network_is_seeded(case):
    prob = _problem(case)
    a, b = prob.network(width=3, seed=1), prob.network(width=3, seed=1)
    assert prob.objective(a) == prob.objective(b)


# ---------------------------------------------------------------------------- no certificate
@pytest.mark.parametrize("case", [c for c in CASES if not c.bound],
                         ids=[c.name for c in CASES if not c.bound])
def test_no_bound_is_none_not_an_exception(case):
    prob = _problem(case)
    assert prob.lower_bound() is None
    with pytest.raises(ValueError, match="lower bound"):
        prob.gap(prob.network(width=3, seed=0))


def test_sampled_relu_patterns_give_no_bound():
    X, y = dk.data.gaussian(n=40, d=6, seed=0)
    with pytest.warns(dk.SampledPatternsWarning, match="sampled"):
        bmax = dk.TwoLayerReLU.beta_max_for(X, y)
    prob = dk.TwoLayerReLU(X, y, 0.3 * bmax, patterns=20)
    sol = prob.solve()
    assert not sol.certified and prob.lower_bound() is None


def test_no_public_method_raises_not_implemented():
    """NotImplementedError is the student stub's signal in this book, never control flow."""
    for case in CASES:
        prob = _problem(case)
        for call in (prob.lower_bound, prob.solve):
            try:
                call()
            except NotImplementedError as exc:  # pragma: no cover - the defect
                pytest.fail(f"{case.name}: {exc}")
            except (ValueError, RuntimeError):
                pass


# ---------------------------------------------------------------------------- the one rule
def test_certify_is_two_sided_and_flags_weak_duality_violations():
    assert certify(1.0, 1.0 - 1e-10, "closed_form")
    assert not certify(1.0, 1.0 - 1e-7, "closed_form")
    assert certify(1.0, 1.0 - 1e-7, "cvxpy")
    assert not certify(1.0, 0.5, "cvxpy")
    assert certify(1e-30, 1e-30 * (1 - 1e-10), "closed_form")      # purely relative
    assert certify(1.0, 1.0 + 1e-15, "closed_form")                 # rounding
    with pytest.raises(RuntimeError, match="weak duality"):
        certify(1.0, 1.0 + 1e-7, "cvxpy")
    assert not certify(float("nan"), 1.0, "cvxpy") and not certify(1.0, -np.inf, "cvxpy")
    with pytest.raises(ValueError, match="method"):
        certify(1.0, 1.0, "no-such-solver")
    assert set(CERT_TOL) >= {"closed_form", "cvxpy"}


def test_one_tolerance_table():
    root = pathlib.Path(dk.__file__).parent
    defs = [(p.relative_to(root), line) for p in root.rglob("*.py")
            for line in p.read_text().splitlines()
            if re.match(r"\s*(CERT_TOL|cert_tol)\s*[:=]", line, re.IGNORECASE)]
    assert [str(p) for p, _ in defs] == ["problems/base.py"], defs
