"""The book's claims, checked on the numbers its chapters computed and glued in the build.

Every ``dk.book.glue("name", value)`` of ``chapters/<stem>.md`` lands, when the book builds
(MyST-NB), in ``_build/jupyter_execute/chapters/<stem>.glue.json``; the text shows it with a
``{glue:text}`` role. Each test below reads the numbers of one chapter's own run and checks one
claim that the sentence around the role makes about them, so that a chapter whose run no longer
supports its text fails here, not only in a re-typed copy of its cells.

Run after a build: ``jupyter-book build . && python -m pytest -m book`` (marker ``book``,
deselected unless asked for by name, tests/conftest.py). Without ``_build/jupyter_execute`` the
tests fail and say to build the book first.

Tolerances are the text's own words ("below $10^{-9}$", "within 1%", "more than 10%") or, where the
text says "to rounding", "certified", "closes", ``ROUNDING`` below; a number the text only shows,
without a claim about it, is not tested. Training is non-convex and differs between processors:
no test compares with the printed digits.
"""
import ast
import json
import math
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = ROOT / "_build" / "jupyter_execute"

#: "to rounding", "certified", "closes": a relative quantity that float64 solvers bring to
#: about 1e-13 or below; 1e-9 is the book's own word-threshold for certified gaps (real_data:
#: "below $10^{-9}$ at every $\beta$")
ROUNDING = 1e-9


class Glued(dict):
    """The glued values of one chapter; a name the chapter no longer glues fails with its name."""

    def __init__(self, stem, values):
        super().__init__(values)
        self.stem = stem

    def __missing__(self, name):
        pytest.fail(f"chapters/{self.stem}.md glued no value named {name!r} in the build "
                    f"(glued: {', '.join(sorted(self))}); was it renamed? Update "
                    "tests/test_book_claims.py together with the chapter.")


def _value(data):
    """One glued value from its MIME bundle: numbers and tuples of numbers from ``text/plain``
    (NumPy scalars' ``np.float64(...)`` reprs included), other text as a string, and Markdown
    outputs as their Markdown."""
    if "text/markdown" in data:
        return data["text/markdown"]
    text = data.get("text/plain", "")
    if isinstance(text, list):
        text = "".join(text)
    plain = re.sub(r"\bnp\.(?:float|int|uint|bool_)\w*\((.*?)\)", r"\1", text.strip())
    try:
        return ast.literal_eval(plain)
    except (ValueError, SyntaxError):
        return text


_cache: dict[str, Glued] = {}


def glued(stem: str) -> dict:
    """Name -> value of everything chapter ``stem`` glued in the last build of the book."""
    if stem not in _cache:
        if not EXECUTED.is_dir():
            pytest.fail(f"{EXECUTED.relative_to(ROOT)} is missing: the book tests check the "
                        "numbers the chapters computed in a build. Build the book first "
                        "(jupyter-book build . --all), then run python -m pytest -m book.")
        path = EXECUTED / "chapters" / f"{stem}.glue.json"
        if not path.is_file():
            pytest.fail(f"{path.relative_to(ROOT)} is missing: chapters/{stem}.md glued nothing "
                        "in this build (did its execution fail, or is the build older than the "
                        "chapter?). Rebuild the book.")
        raw = json.loads(path.read_text())
        _cache[stem] = Glued(stem, {k: _value(v.get("data", {})) for k, v in raw.items()})
    return _cache[stem]


def test_glued_parses_numbers_and_keeps_text():
    """The loader: numbers, NumPy scalar reprs and tuples become Python values; text stays."""
    assert _value({"text/plain": "1.5e-14"}) == 1.5e-14
    assert _value({"text/plain": "7"}) == 7
    assert _value({"text/plain": "np.float64(0.25)"}) == 0.25
    assert _value({"text/plain": "(1, 2.5)"}) == (1, 2.5)
    assert _value({"text/plain": "'B1'"}) == "B1"
    assert _value({"text/plain": "<IPython.core.display.Markdown object>",
                   "text/markdown": "| a |"}) == "| a |"
    assert _value({"text/plain": "array([1., 2.])"}) == "array([1., 2.])"


# ---------------------------------------------------------------------------------------------
# preliminaries


def test_preliminaries_trained_gap_is_a_suboptimality():
    """preliminaries: "The certified suboptimality of the trained network, `prob.gap(net)`": a
    suboptimality, so not below zero beyond rounding (weak duality)."""
    assert glued("preliminaries")["prelim_gap"] >= -ROUNDING


def test_preliminaries_linear_dual_constraint_active():
    """preliminaries: "The dual constraint is active, ||X^T lambda*||_2/beta - 1 = ..."."""
    assert abs(glued("preliminaries")["ep_constraint"]) <= ROUNDING


def test_preliminaries_solve_returns_the_extreme_point():
    """preliminaries: "the first-layer direction returned by `solve()` is the extreme point u*
    to ..."."""
    assert glued("preliminaries")["ep_distance"] <= ROUNDING


def test_preliminaries_linear_constraint_never_exceeded_on_the_circle():
    """preliminaries: "on 3601 points of the unit circle the linear function lambda*^T X u/beta
    never exceeds ...": at most 1 (to rounding), and as the maximum over the circle is 1 and the
    grid's spacing is 2 pi/3600, within 1 - cos(pi/3600) < 4e-7 of it."""
    v = glued("preliminaries")["ep_grid_max"]
    assert 1 - 4e-7 <= v <= 1 + ROUNDING


def test_preliminaries_trained_neurons_land_on_the_extreme_point():
    """preliminaries: "every one of its neurons, rescaled and signed by its outgoing weight, lands
    on u* (to ... after 100 L-BFGS steps)" (non-convex training: checked to 1e-4)."""
    assert glued("preliminaries")["ep_trained"] <= 1e-4


def test_preliminaries_relu_optimum_certified():
    """preliminaries: "a two-layer ReLU network without biases, solved exactly by the convex
    program of {ref}`ch-two-layer-relu` and certified by its dual" (its relative gap, glued as
    ``ep_relu_rel_gap``)."""
    assert abs(glued("preliminaries")["ep_relu_rel_gap"]) <= ROUNDING


def test_preliminaries_relu_neurons_reach_the_bound():
    """preliminaries: "Every neuron of the certified optimum reaches the bound,
    sign(alpha_j) lambda*^T relu(X u_j) = beta to ..."."""
    assert glued("preliminaries")["ep_relu_reach"] <= ROUNDING


def test_preliminaries_relu_constraint_at_most_one_on_the_circle():
    """preliminaries: "on the same 3601 points of the circle |lambda*^T relu(Xu)|/beta stays at
    or below ..." (the dual constraint: at most 1, to rounding)."""
    assert glued("preliminaries")["ep_relu_grid_max"] <= 1 + ROUNDING


def test_preliminaries_relu_neurons_are_corners():
    """preliminaries: "each is orthogonal to a data point (to ...): here every maximizer is a
    corner of its cone"."""
    assert glued("preliminaries")["ep_relu_corner"] <= ROUNDING


# ---------------------------------------------------------------------------------------------
# two_layer_linear


def test_two_layer_linear_adam_gap_at_rounding():
    """two_layer_linear: "The relative gap, ..., is below 10^{-14} in absolute value"."""
    assert abs(glued("two_layer_linear")["adam_gap"]) < 1e-14


# ---------------------------------------------------------------------------------------------
# deep_linear


def test_deep_linear_trained_gap_below_1e13():
    """deep_linear: "The trained network reaches the dual optimum to the precision of float64
    (relative gap ..., below 10^{-13} in absolute value)"."""
    assert abs(glued("deep_linear")["deep_gap"]) < 1e-13


def test_deep_linear_end_to_end_map_is_w_star():
    """deep_linear: "its end-to-end map W1W2W3w4 is w* (relative difference ...)". A relative gap
    below 1e-13 puts the map within about its square root, 3e-7, of w*: checked to 1e-6."""
    assert glued("deep_linear")["deep_prod"] <= 1e-6


def test_deep_linear_weight_decay_training_finds_the_global_minimum():
    """deep_linear: "L-BFGS from a random start finds the global minimum (relative gap ...)"
    (checked to a relative 1e-6, the book's "reaches the optimum" of rank_one_relu)."""
    assert abs(glued("deep_linear")["wd_gap"]) <= 1e-6


def test_deep_linear_small_init_stays_at_the_origin():
    """deep_linear: "From a small initialization, training never leaves the origin: its objective
    stays at 1/2||y||^2 (relative difference ...)" (checked to a relative 1e-6)."""
    assert abs(glued("deep_linear")["wd_small"]) <= 1e-6


def test_deep_linear_zero_depth_is_a_depth_of_the_exercise():
    """deep_linear (solution of ex-deep-beta-eff): "As t<1, beta_eff grows with depth, and from
    depth ... on the optimum is the zero network": one of the exercise's depths, and not the
    first (the two-layer optimum is not zero)."""
    import dualkit as dk

    depths = dk.exercises.load("ex-deep-beta-eff").depths
    L0 = glued("deep_linear")["zero_depth"]
    assert L0 in depths and L0 > min(depths)


# ---------------------------------------------------------------------------------------------
# rank_one_relu


def test_rank_one_relu_not_every_seed_stalls():
    """rank_one_relu: "Here ... of the three seeds stalled at the zero network. The best one
    reaches the optimum": between 0 and 2 of the three."""
    n = glued("rank_one_relu")["n_stalled"]
    assert isinstance(n, int) and 0 <= n <= 2


def test_rank_one_relu_five_layers_reach_the_optimum():
    """rank_one_relu: "The best one reaches the optimum to a relative 10^{-6} (gap ...)"."""
    assert abs(glued("rank_one_relu")["gap5"]) <= 1e-6


def test_rank_one_relu_mixed_sign_training_reaches_the_formula():
    """rank_one_relu: "The trained network reaches the l_{2/3} formula to a relative 10^{-8}"."""
    assert glued("rank_one_relu")["mixed_match"] <= 1e-8


def test_rank_one_relu_mixed_sign_duality_gap_over_ten_percent():
    """rank_one_relu: "the formula lies more than 10% above the dual (a duality gap of ... of
    D*), so the gap is real"."""
    assert glued("rank_one_relu")["mixed_gap"] > 0.10


# ---------------------------------------------------------------------------------------------
# two_layer_relu


def test_two_layer_relu_pattern_count_grows_like_n_squared():
    """two_layer_relu: "Doubling n from 80 to 160 multiplies the count by ..., close to
    2^{r-1}=4 and far from 2^r=8" (close: within 0.5 of 4)."""
    assert abs(glued("two_layer_relu")["relu_count_growth"] - 4) < 0.5


def test_two_layer_relu_all_patterns_enumerated():
    """two_layer_relu: "n=20 Gaussian points in the plane ... the regularized bias ... All ...
    patterns are enumerated", with "the number of patterns is exactly
    N_D = 2 sum_{k<r} binom(n-1, k)" for points in general position (r = 3)."""
    assert glued("two_layer_relu")["relu_patterns"] == 2 * sum(math.comb(19, k) for k in range(3))


def test_two_layer_relu_drawn_neurons_are_among_the_recovered():
    """two_layer_relu: "The recovered network has ... neurons, one per non-zero block; ... of
    them carry more than 10^{-3} of the largest share ..., the others at most ... of it"."""
    g = glued("two_layer_relu")
    assert 1 <= g["relu_drawn"] <= g["relu_active"]
    assert g["relu_tiny_share"] <= 1e-3


def test_two_layer_relu_extreme_optimum_has_at_most_n_plus_1_neurons():
    """two_layer_relu: "its answer spreads the output over ... non-zero blocks, more than an
    optimum needs ... an optimal network with at most n+1=21 neurons exists ... the recovered
    network has ... neurons ...; its objective differs from the solver's network's by a
    relative ..." (rounding: at most 1e-9)."""
    g = glued("two_layer_relu")
    assert g["relu_active"] <= 21 and g["relu_active"] < g["relu_before"]
    assert g["relu_reduction_change"] <= 1e-9


def test_two_layer_relu_neurons_are_extreme_points():
    """two_layer_relu: "a neuron of block i maximizes ... and attains beta there. Over those ...
    neurons, |lambda*^T relu(X u_j)|/(beta ||u_j||) differs from 1 by at most ..." (an
    interior-point solution: checked to 1e-6)."""
    assert glued("two_layer_relu")["relu_extreme_dev"] <= 1e-6


def test_two_layer_relu_best_wide_networks_within_a_fraction_of_a_percent():
    """two_layer_relu: "the best networks of widths 25 and 200 come within a fraction of a percent
    of the certified optimum"."""
    g = glued("two_layer_relu")
    assert g["relu_best_25"] < 0.01 and g["relu_best_200"] < 0.01


def test_two_layer_relu_best_narrow_network_above_one_percent():
    """two_layer_relu: "the best of width 10 stays more than one percent above"."""
    assert glued("two_layer_relu")["relu_best_10"] > 0.01


def test_two_layer_relu_no_run_below_the_certificate():
    """two_layer_relu: "no run goes below the certificate ... the lowest of all fifteen runs is
    ..., not below zero, as weak duality requires"; and "at width 25 the five seeds end between
    ... and ..."."""
    g = glued("two_layer_relu")
    assert g["relu_lowest"] >= -ROUNDING
    assert g["relu_lowest"] <= g["relu_spread_lo"] <= g["relu_spread_hi"]
    assert g["relu_spread_lo"] == g["relu_best_25"]


# ---------------------------------------------------------------------------------------------
# vector_outputs_and_losses


def test_vector_kkt_condition_for_every_loss():
    """vector_outputs_and_losses: "the ratio <X^T Lambda*, W*>/||W*||_* equals 1, to ... at
    worst" (solvers of several losses, some iterative: checked to 1e-6)."""
    assert glued("vector_outputs_and_losses")["kkt_worst"] <= 1e-6


def test_vector_weight_decay_training_kept_a_fifth_direction():
    """vector_outputs_and_losses: "training kept a fifth direction, with layer singular value
    ..., that the closed form drops" (kept: above 1e-3)."""
    assert glued("vector_outputs_and_losses")["wd_fifth"] > 1e-3


def test_vector_weight_decay_training_above_the_global_optimum():
    """vector_outputs_and_losses: "Its objective is therefore above the global optimum (...
    against ..., a relative ... more)"."""
    g = glued("vector_outputs_and_losses")
    assert g["wd_trained"] > g["wd_closed"] and g["wd_excess"] > 0
    assert g["wd_excess"] == pytest.approx(g["wd_trained"] / g["wd_closed"] - 1, rel=1e-6)


def test_vector_deep_gap_where_the_nuclear_optimum_has_rank_two_or_more():
    """vector_outputs_and_losses: "The nuclear-norm optimum has rank ..., so by the proposition
    there is a gap: ... although the best deep point found has rank ..., it still sits ...
    above the bound" (a gap needs rank at least 2; "although": a lower rank)."""
    g = glued("vector_outputs_and_losses")
    assert g["nuc_rank"] >= 2
    assert 1 <= g["deep_rank"] < g["nuc_rank"]
    assert g["solve_gap"] > ROUNDING


def test_vector_trained_network_no_lower_than_solve():
    """vector_outputs_and_losses: "The trained network sits ... above the bound, and no lower
    than the point `solve()` found"."""
    g = glued("vector_outputs_and_losses")
    assert g["trained_gap"] >= g["solve_gap"] - ROUNDING


def test_vector_gap_exactly_where_the_nuclear_optimum_has_rank_two():
    """vector_outputs_and_losses (solution of ex-vector-gap): "While the nuclear-norm optimum at
    beta_eff is rank one, the bound is attained and certified ... Once beta is small enough ...
    (here from beta = ... ||X^T Y||_2 on; at 0.03||X^T Y||_2 it has rank ...), the gap is
    positive": rank one above gap_from, two or more from it on."""
    g = glued("vector_outputs_and_losses")
    ranks = {int(k.rpartition("_")[2]) / 100: v for k, v in g.items()
             if k.startswith("gap_rank_")}
    assert ranks and g["gap_from"] in ranks
    assert all(r == 1 for f, r in ranks.items() if f > g["gap_from"])
    assert all(r >= 2 for f, r in ranks.items() if f <= g["gap_from"])
    assert g["gap_rank_3"] >= 2


# ---------------------------------------------------------------------------------------------
# splines_1d


def test_splines_training_within_one_percent():
    """splines_1d: "The trained network comes within 1% of the convex optimum (relative gap
    ...)"."""
    assert -ROUNDING <= glued("splines_1d")["gap2"] <= 0.01


def test_splines_kinks_at_data_points():
    """splines_1d: "every one of its kinks lies within 10^{-3} of the smallest data spacing from
    a data point (... of it)"."""
    assert glued("splines_1d")["dist2"] <= 1e-3


def test_splines_two_orientations_draw_one_curve():
    """splines_1d: "The two orientations draw one curve here: their difference is lambda*^T x
    ..., and |lambda*^T x| is ... at this optimum"."""
    assert glued("splines_1d")["lam_x"] <= ROUNDING


def test_splines_deep_optimum_is_the_two_layer_one_at_beta_eff():
    """splines_1d: "The deep optimum matches (C5) at beta_eff to a relative ... and differs from
    (C5) at beta by ... of its value" (differs: by more than 1%)."""
    g = glued("splines_1d")
    assert g["deep_vs_eff"] <= ROUNDING
    assert g["deep_vs_beta"] > 0.01


def test_splines_deep_training_within_ten_percent():
    """splines_1d: "The trained depth-4 network comes within 10% of the convex optimum (relative
    gap ...)"."""
    assert -ROUNDING <= glued("splines_1d")["deep_gap"] <= 0.10


def test_splines_merged_kink_is_not_a_data_point():
    """splines_1d: "On x=0,...,5 ... the fit changes slope by positive amounts delta at x=2 and
    delta' at x=3 ... merged into one at k=(2 delta+3 delta')/(delta+delta')" and "The network
    with a single kink at ..., not a data point": strictly between the data points 2 and 3."""
    assert 2 < glued("splines_1d")["k_new"] < 3


def test_splines_standard_deep_relu_does_not_reach_the_capped_ramp():
    """splines_1d: "Neither trained network reaches the capped ramp (they end at ... and ...
    times its objective)"."""
    g = glued("splines_1d")
    ratios = [v for k, v in g.items() if k.startswith("refl_ratio_")]
    assert len(ratios) == 2 and all(r > 1 for r in ratios)


# ---------------------------------------------------------------------------------------------
# real_data


def test_real_data_digits_whitened_rank():
    """real_data: "The whitened inputs have d = ... columns (the rank of the standardized pixels;
    some border pixels are blank in every image)": fewer than the 64 pixels."""
    d = glued("real_data")["dig_d"]
    assert isinstance(d, int) and d < 64


def test_real_data_tenth_singular_value_zero():
    """real_data: "the tenth singular value is ..., zero to rounding" (ten classes: rank <= 9)."""
    assert glued("real_data")["dig_sig10"] <= ROUNDING


def test_real_data_digits_betas():
    """real_data: "one beta between each pair of consecutive singular values, plus one above the
    largest and one below the ninth": 8 + 2 values, and the trained rank is compared at each
    ("At ... of the ... values of beta the trained rank equals the prediction")."""
    g = glued("real_data")
    assert g["dig_nbetas"] == 10
    assert 0 <= g["dig_agree"] <= g["dig_nbetas"]


def test_real_data_digits_trained_gap_below_1e9():
    """real_data: "the largest relative gap between a trained network and the certified optimum
    is ...: below 10^{-9} at every beta"."""
    assert glued("real_data")["dig_gap"] < 1e-9


def test_real_data_digits_certificate_closes():
    """real_data: "The certificate closes to rounding (..., relative), the optimum has rank ...
    (again at most nine)"."""
    g = glued("real_data")
    assert g["dig2_cert"] <= ROUNDING
    assert 1 <= g["dig2_rank"] <= 9


def test_real_data_digits_trained_network_reaches_the_optimum():
    """real_data: "the trained network reaches it to a relative gap of ..., with the singular
    values of its end-to-end map W1W2 equal to those of W* to ..." (gap checked to the
    chapter's 10^{-9} for these trainings; the singular values, a square root away, to 1e-4)."""
    g = glued("real_data")
    assert abs(g["dig2_gap"]) < 1e-9
    assert g["dig2_sv"] <= 1e-4


def test_real_data_digits_neurons_in_the_active_directions():
    """real_data: "X^T Lambda* reaches the bound beta in ... directions, and the trained W1 lies in
    their span (the part outside is ... of its norm)"; W* lies in that span too, so its rank is
    at most their number."""
    g = glued("real_data")
    assert g["dig2_rank"] <= g["dig2_active"]
    assert g["dig2_span"] <= 1e-4


def test_real_data_digits_reasonable_classifier():
    """real_data: "The regularized linear model is a reasonable classifier too: ...% of the
    training images are labelled correctly" (ten classes, chance 10%: checked above 50%)."""
    assert 50 < glued("real_data")["dig2_acc"] <= 100


def test_real_data_diabetes_closed_form_cvxpy_and_certificate():
    """real_data: "Closed form and cvxpy agree to ... (relative), and the dual certifies the
    optimum to ... (relative)" (cvxpy's interior point: agreement checked to 1e-6)."""
    g = glued("real_data")
    assert g["dia_cvx"] <= 1e-6
    assert g["dia_cert"] <= ROUNDING


def test_real_data_diabetes_trained_gap_below_1e9():
    """real_data: "All three trained networks reach it, the worst to a relative gap of ...
    (below 10^{-9})"."""
    assert glued("real_data")["dia_gap"] < 1e-9


def test_real_data_diabetes_first_layer_rank_one_along_u_star():
    """real_data: "The last one's first layer is rank one (sigma_2/sigma_1 = ...) and points
    along the extreme point u* (misalignment ...)" (checked to 1e-6 each)."""
    g = glued("real_data")
    assert g["dia_rank1"] <= 1e-6
    assert g["dia_align"] <= 1e-6


# ---------------------------------------------------------------------------------------------
# certify


def test_certify_worked_example_is_exact_and_certified():
    """certify: "The bound is `exact` (the conventions match a problem of the book), so this is
    the distance to the optimum itself": exact, certified, and a relative gap >= 0."""
    g = glued("certify")
    assert g["cert_exact"] is True and g["cert_certified"] is True
    assert g["cert_rel_gap"] >= -ROUNDING and g["cert_gap_torch"] >= -ROUNDING


def test_certify_beta_is_n_wd_over_two():
    """certify: "With n=20 and wd=10^-3 the problem is the one at beta = ...": n*wd/2."""
    assert math.isclose(glued("certify")["cert_beta"], 20 * 1e-3 / 2, rel_tol=1e-12)


def test_certify_optimal_network_attains_the_optimum():
    """certify: "Its objective, evaluated like the trained network's, is the optimal value"."""
    g = glued("certify")
    assert math.isclose(g["cert_opt_obj"], g["cert_opt_value"], rel_tol=ROUNDING)


def test_certify_pytorch_defaults_give_a_relaxed_bound():
    """certify: "No problem of the book has decayed hidden *and* output biases, so `certify`
    relaxes the biases" and the relative gap "bounds how far the network is ... from above"."""
    g = glued("certify")
    assert g["cert2_exact"] is False and g["cert2_rel_gap"] >= -ROUNDING


# ---------------------------------------------------------------------------------------------
# performance (the perf_b*, perf_path_*, perf_lbfgs_lo/hi values come from the committed
# benchmark results, benchmarks/results; the others from the chapter's own runs)


def test_performance_lbfgs_reaches_1e6_on_the_linear_problem():
    """performance: "The linear problem is the easy case for training: L-BFGS gets to a relative
    gap of ... in ... outer steps" and "On the linear problems ... a few quasi-Newton steps reach
    10^{-6}"."""
    assert abs(glued("performance")["perf_lbfgs_gap"]) <= 1e-6
    assert 1 <= glued("performance")["perf_lbfgs_steps"] <= 10   # "a few"


def test_performance_convex_answers_certified():
    """performance: "the closed form ... its certified gap is ..." and "the convex solver's answer
    is certified to ..."."""
    g = glued("performance")
    assert abs(g["perf_closed_gap"]) <= ROUNDING
    assert abs(g["perf_ramp_gap"]) <= ROUNDING


def test_performance_training_plateaus_above_1e5():
    """performance: "the best relative gaps are ... (Adam) and ... (L-BFGS), both above
    10^{-5}"."""
    g = glued("performance")
    assert g["perf_adam_best"] > 1e-5 and g["perf_lbfgs_best"] > 1e-5


def test_performance_cvxpy_factor_on_linear_problems():
    """performance: "with Clarabel it takes ... to ... times the closed form's time on B1. For the
    nuclear norm (B3) ... the factor grows to ...-..."."""
    g = glued("performance")
    assert 1 < g["perf_b1_cvxpy_lo"] <= g["perf_b1_cvxpy_hi"]
    assert g["perf_b3_cvxpy_lo"] <= g["perf_b3_cvxpy_hi"]
    assert g["perf_b3_cvxpy_lo"] > g["perf_b1_cvxpy_lo"]
    assert g["perf_b3_cvxpy_hi"] > g["perf_b1_cvxpy_hi"]


def test_performance_path_of_20_betas():
    """performance: "A path of 20 betas (B2) reuses the factorization ...: at n=5000, d=500 it
    costs ... solves; at n=1000, d=100 ... the fixed cost of 20 results brings it to ...":
    fewer than 20 solves, and more at the small size."""
    g = glued("performance")
    assert 1 <= g["perf_path_large"] < 20
    assert g["perf_path_large"] < g["perf_path_small"] < 20


def test_performance_lbfgs_slower_than_the_dedicated_solver():
    """performance: "Where it converges, L-BFGS still takes ... to ... times as long as the
    dedicated solver"."""
    g = glued("performance")
    assert 1 < g["perf_lbfgs_lo"] <= g["perf_lbfgs_hi"]


def test_performance_dense_ramp_matrix_size():
    """performance: "at n=10^4 that matrix [the dense n x 2n ramp matrix] alone would take ... GB":
    n * 2n float64 numbers of 8 bytes."""
    assert glued("performance")["perf_ramp_gb"] == pytest.approx(1e4 * 2e4 * 8 / 1e9)


def test_performance_scale_never_an_n_by_n_matrix():
    """performance: "n=10^5 samples and d=10^3 features: the solvers form X^T X (d x d), never an
    n x n matrix, so the peak memory is ... times the size of the data itself" (an n x n matrix
    would be n/d = 100 times the data)."""
    assert 0 < glued("performance")["perf_b10_mem"] < 100


def test_performance_dedicated_solver_not_far_ahead_on_small_relu():
    """performance: "Where the table shows a dedicated solver that is *not* far ahead ...: on the
    1-D ReLU fit at n=100 cvxpy with Clarabel takes ... times as long" (ahead: above 1; not far:
    within a factor 10, against the hundreds of B1); "On the two-layer ReLU program of B8, cvxpy
    takes ... times as long as solve()'s column generation" (ahead: above 1)."""
    g = glued("performance")
    assert 1 < g["perf_b6_cvxpy"] < 10
    assert g["perf_b8_cvxpy"] > 1


# ---------------------------------------------------------------------------------------------
# instructors


def _exercise_rows(table):
    return [line for line in table.splitlines()
            if line.startswith("|") and "numref" in line]


def test_instructors_exercise_counts_match_the_table():
    """instructors: "All ... exercises of the book, with ... the points the grader gives
    automatically (in all ...) and by hand (in all ...)": the counts of the glued table."""
    g = glued("instructors")
    rows = _exercise_rows(g["exercise_table"])
    assert len(rows) == g["n_exercises"]
    auto = manual = 0.0
    for row in rows:
        points = [c.strip() for c in row.strip("|").split("|")][3]
        a, _, m = points.partition("+")
        auto, manual = auto + float(a), manual + float(m or 0)
    assert (auto, manual) == (g["auto_points"], g["manual_points"])
