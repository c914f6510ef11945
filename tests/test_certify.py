"""dk.certify: a user's own PyTorch network against the certified optimum of its objective
(issue 21). Every mapping of dualkit.certificate.CONVENTIONS is checked numerically: the torch
objective (loss + (wd/2) * sum of decayed parameters squared, computed with torch) equals
a * (the mapped problem's objective), and the gap of trained networks matches an independent
evaluation."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import dualkit as dk  # noqa: E402
from dualkit.certificate import CONVENTIONS, certify  # noqa: E402


def _data(n=12, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) + 0.3 * X[:, -1]
    return X, y


def _relu(d, m=6, bias=True, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, m, bias=bias), nn.ReLU(),
                         nn.Linear(m, 1, bias=bias)).to(dtype)


def _linear(d, m=4, depth=2, K=1, bias=True, seed=0):
    torch.manual_seed(seed)
    widths = [d] + [m] * (depth - 1) + [K]
    layers = [nn.Linear(a, b, bias=bias) for a, b in zip(widths[:-1], widths[1:], strict=True)]
    return nn.Sequential(*layers).double()


def _torch_objective(model, X, y, loss, wd) -> float:
    """loss + sum (wd_p/2)||p||^2 computed with torch; wd: a float or {param: wd}."""
    Xt = torch.as_tensor(X, dtype=next(model.parameters()).dtype)
    with torch.no_grad():
        out = model(Xt).double()
        val = loss(out, torch.as_tensor(y)).double()
        for p in model.parameters():
            w = wd if isinstance(wd, float) else wd[p]
            val = val + 0.5 * w * (p.double() ** 2).sum()
    return float(val)


def _close(a, b, rtol=1e-10):
    assert abs(a - b) <= rtol * max(abs(a), abs(b)), (a, b)


# ---------------------------------------------------------------------- the conventions table
def test_conventions_table_rows_are_complete():
    assert len(CONVENTIONS) >= 15
    for row in CONVENTIONS:
        assert set(row) == {"PyTorch", "dualkit", "β", "result"}
        assert all(isinstance(v, str) and v for v in row.values())


@pytest.mark.parametrize("reduction,a_of_n", [("mean", lambda n, K: 2 / (n * K)),
                                              ("sum", lambda n, K: 2.0)])
@pytest.mark.parametrize("K", [1, 2])
def test_mse_row_torch_objective_is_a_times_problem_objective(reduction, a_of_n, K):
    X, y = _data(n=10, d=3)
    Y = np.column_stack([y, np.cos(X[:, 1])])[:, :K]
    model, wd = _linear(3, K=K, bias=False), 0.03
    loss = nn.MSELoss(reduction=reduction)
    rep = certify(model, X, Y, loss=loss, weight_decay=wd)
    a = a_of_n(10, K)
    assert rep.scale == pytest.approx(a, rel=1e-15)
    assert rep.beta == pytest.approx(wd / a, rel=1e-14)
    ws = [model[0].weight.detach().numpy().T, model[1].weight.detach().numpy().T]
    ws[-1] = ws[-1][:, 0] if K == 1 else ws[-1]
    prob = dk.TwoLayerLinear(X, Y[:, 0] if K == 1 else Y, wd / a)
    _close(_torch_objective(model, X, Y, loss, wd), a * prob.objective(ws))
    _close(rep.objective_torch, a * prob.objective(ws))
    assert rep.exact and rep.certified


def test_squared_string_row_has_scale_one():
    X, y = _data(n=8, d=2)
    model = _linear(2, bias=False)
    rep = certify(model, X, y, loss="squared", weight_decay=0.2)
    assert rep.scale == 1.0 and rep.beta == 0.2
    sq = lambda out, t: 0.5 * ((out.reshape(-1) - t) ** 2).sum()  # noqa: E731
    _close(rep.objective_torch, _torch_objective(model, X, y, sq, 0.2))


@pytest.mark.medium                        # a cvxpy solve (exponential cone)
def test_bce_with_logits_row_is_the_logistic_loss():
    X, y = _data(n=10, d=3)
    t = (y > 0).astype(float)
    model, wd = _linear(3, bias=False), 0.05
    loss = nn.BCEWithLogitsLoss()
    rep = certify(model, X, t[:, None], loss=loss, weight_decay=wd)
    assert rep.scale == pytest.approx(0.1) and rep.beta == pytest.approx(0.5)
    prob = dk.TwoLayerLinear(X, 2 * t - 1, 0.5, loss="logistic")
    ws = [model[0].weight.detach().numpy().T, model[1].weight.detach().numpy()[0]]
    _close(_torch_objective(model, X, t[:, None], loss, wd), 0.1 * prob.objective(ws))
    _close(rep.objective, prob.objective(ws))
    assert rep.lower_bound <= rep.objective


@pytest.mark.medium                        # a cvxpy solve (exponential cone)
@pytest.mark.parametrize("reduction,a", [("mean", 1 / 12), ("sum", 1.0)])
def test_cross_entropy_row_is_dualkit_cross_entropy(reduction, a):
    X, y = _data(n=12, d=3)
    c = np.digitize(y, [-0.5, 0.5])                  # 3 classes
    model, wd = _linear(3, K=3, bias=False), 0.05
    loss = nn.CrossEntropyLoss(reduction=reduction)
    rep = certify(model, X, torch.as_tensor(c), loss=loss, weight_decay=wd)
    assert rep.scale == pytest.approx(a) and rep.beta == pytest.approx(wd / a)
    prob = dk.TwoLayerLinear(X, np.eye(3)[c], wd / a, loss="cross_entropy")
    ws = [model[0].weight.detach().numpy().T, model[1].weight.detach().numpy().T]
    _close(_torch_objective(model, X, torch.as_tensor(c), loss, wd), a * prob.objective(ws))
    _close(rep.objective, prob.objective(ws))
    assert rep.gap >= 0


@pytest.mark.parametrize("opt", ["SGD", "Adam", "RMSprop"])
def test_coupled_optimizer_rows_read_weight_decay(opt):
    X, y = _data(n=10, d=2)
    model = _relu(2, bias=False)
    optimizer = getattr(torch.optim, opt)(model.parameters(), lr=1e-3, weight_decay=0.02)
    rep = certify(model, X, y[:, None], optimizer=optimizer)
    assert rep.beta == pytest.approx(10 * 0.02 / 2, rel=1e-14)       # n wd / 2 for mean MSE
    prob = dk.TwoLayerReLU(X, y, rep.beta, bias="none")
    ws = dk.nets.ReLUWeights([model[0].weight.detach().numpy().T,
                              model[2].weight.detach().numpy()[0]], [None, None])
    _close(_torch_objective(model, X, y[:, None], nn.MSELoss(), 0.02),
           rep.scale * prob.objective(ws))
    assert rep.exact


def test_adamw_row_needs_beta_and_certifies_with_it():
    X, y = _data(n=10, d=2)
    model = _relu(2, bias=False)
    opt = torch.optim.AdamW(model.parameters(), weight_decay=0.01)
    with pytest.raises(ValueError, match="beta: AdamW uses decoupled weight decay"):
        certify(model, X, y[:, None], optimizer=opt)
    rep = certify(model, X, y[:, None], optimizer=opt, beta=0.3)
    assert rep.beta == 0.3
    prob = dk.TwoLayerReLU(X, y, 0.3, bias="none")
    ws = dk.nets.ReLUWeights([model[0].weight.detach().numpy().T,
                              model[2].weight.detach().numpy()[0]], [None, None])
    _close(rep.objective, prob.objective(ws))


def test_zero_decay_on_a_weight_matrix_is_refused():
    X, y = _data(n=10, d=2)
    model = _relu(2, bias=False)
    opt = torch.optim.SGD([{"params": [model[0].weight], "weight_decay": 0.0},
                           {"params": [model[2].weight], "weight_decay": 0.1}], lr=0.1)
    with pytest.raises(ValueError, match=r"weight_decay: \['0.weight'\] are not decayed"):
        certify(model, X, y[:, None], optimizer=opt)


def test_per_layer_weight_decay_maps_to_the_geometric_mean_exactly():
    X, y = _data(n=10, d=2)
    model = _relu(2, bias=False)
    w1, w2 = 0.04, 0.01
    opt = torch.optim.SGD([{"params": [model[0].weight], "weight_decay": w1},
                           {"params": [model[2].weight], "weight_decay": w2}], lr=0.1)
    rep = certify(model, X, y[:, None], optimizer=opt)
    a = 2 / 10
    assert rep.beta == pytest.approx(np.sqrt(w1 * w2) / a, rel=1e-14)
    wd = {model[0].weight: w1, model[2].weight: w2}
    _close(rep.objective_torch, _torch_objective(model, X, y[:, None], nn.MSELoss(), wd))
    # the optimal network, rescaled back to the user's parameters, attains a * P*
    opt_net = rep.optimal_network
    wd_opt = {opt_net[0].weight: w1, opt_net[2].weight: w2}
    _close(_torch_objective(opt_net, X, y[:, None], nn.MSELoss(), wd_opt),
           a * rep.optimal_value, rtol=1e-9)
    assert rep.exact and rep.gap >= 0


# ---------------------------------------------------------------------- bias rows
def _groups(model, wd, bias_wd):
    """An SGD optimizer decaying the weights by wd and the biases by bias_wd."""
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    return torch.optim.SGD([{"params": weights, "weight_decay": wd},
                            {"params": biases, "weight_decay": bias_wd}], lr=0.1)


def _relu_weights(model):
    b = model[0].bias
    b0 = model[2].bias
    return dk.nets.ReLUWeights(
        [model[0].weight.detach().numpy().T, model[2].weight.detach().numpy()[0]],
        [None if b is None else b.detach().numpy(), None if b0 is None else float(b0.detach())])


def test_bias_row_regularized_hidden_bias_is_exact():
    X, y = _data(n=10, d=2)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1, bias=False)).double()
    rep = certify(model, X, y[:, None], weight_decay=0.02)
    assert rep.problem.bias == "regularized" and rep.exact
    prob = dk.TwoLayerReLU(X, y, rep.beta, bias="regularized")
    _close(rep.objective, prob.objective(_relu_weights(model)))
    _close(rep.optimal_network_objective, rep.optimal_value, rtol=1e-9)


@pytest.mark.parametrize("d", [1, 2])
def test_bias_row_free_biases_are_exact(d):
    X, y = _data(n=10, d=d)
    model = _relu(d)
    rep = certify(model, X, y[:, None], optimizer=_groups(model, 0.02, 0.0))
    assert rep.exact
    assert isinstance(rep.problem, dk.ReLU1D if d == 1 else dk.TwoLayerReLU)
    _close(rep.objective, rep.problem.objective(_relu_weights(model)))
    _close(rep.optimal_network_objective, rep.optimal_value, rtol=1e-9)


def test_bias_row_pytorch_default_is_a_valid_relaxation():
    X, y = _data(n=10, d=2)
    model = _relu(2)
    wd = 0.02
    rep = certify(model, X, y[:, None], weight_decay=wd)
    assert rep.problem.bias == "free" and not rep.exact
    relaxed = rep.problem.objective(_relu_weights(model))
    bias_pen = 0.5 * wd / rep.scale * sum(float((p.detach() ** 2).sum())
                                          for n, p in model.named_parameters() if "bias" in n)
    _close(rep.objective, relaxed + bias_pen)
    _close(rep.objective_torch, _torch_objective(model, X, y[:, None], nn.MSELoss(), wd))
    assert rep.objective >= relaxed >= rep.lower_bound
    assert "valid but not tight" in " ".join(rep.mapping)


def test_linear_free_output_bias_is_exact_by_centring():
    X, y = _data(n=10, d=3)
    model = _linear(3, bias=True)
    rep = certify(model, X, y[:, None], optimizer=_groups(model, 0.05, 0.0))
    assert rep.exact
    # the optimal network (a centred optimum plus its output bias) attains the optimum
    _close(rep.optimal_network_objective, rep.optimal_value, rtol=1e-9)
    ind = dk.TwoLayerLinear(X - X.mean(0), y - y.mean(), rep.beta).solve()
    _close(rep.optimal_value, ind.value, rtol=1e-9)
    assert rep.gap >= 0


def test_linear_decayed_biases_are_a_relaxation():
    X, y = _data(n=10, d=3)
    model = _linear(3, bias=True)
    rep = certify(model, X, y[:, None], weight_decay=0.05)
    assert not rep.exact and rep.gap >= 0
    assert rep.optimal_network_objective >= rep.optimal_value


def test_deep_linear_row_uses_weight_decay_on_every_layer():
    X, y = _data(n=10, d=3)
    model = _linear(3, depth=3, bias=False)
    wd = 0.05
    rep = certify(model, X, y[:, None], weight_decay=wd)
    assert isinstance(rep.problem, dk.DeepLinearWeightDecay) and rep.problem.depth == 3
    ws = [layer.weight.detach().numpy().T for layer in model]
    ws[-1] = ws[-1][:, 0]
    _close(rep.objective_torch, rep.scale * rep.problem.objective(ws))
    _close(rep.objective_torch, _torch_objective(model, X, y[:, None], nn.MSELoss(), wd))
    _close(rep.optimal_network_objective, rep.optimal_value, rtol=1e-9)
    assert "tight only at depth 2" in rep.note


def test_deep_relu_row_has_no_certificate_but_an_objective():
    X, y = _data(n=10, d=2)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                          nn.Linear(4, 1)).double()
    rep = certify(model, X, y[:, None], weight_decay=0.01)
    assert rep.lower_bound is None and rep.gap is None and rep.problem is None
    assert rep.note.startswith("No certificate")
    _close(rep.objective_torch, _torch_objective(model, X, y[:, None], nn.MSELoss(), 0.01))
    assert "lower_bound=None" in repr(rep) and "<table" in rep._repr_html_()


# ---------------------------------------------------------------------- recognition
class _Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.act, self.out = nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


class _Skip(_Custom):
    def forward(self, x):
        return self.out(self.act(self.hidden(x))) + x[:, :1]


class _Functional(_Custom):
    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def test_custom_module_float32_is_recognised():
    X, y = _data(n=10, d=2)
    torch.manual_seed(0)
    model = _Custom()                                       # float32
    rep = certify(model, torch.as_tensor(X, dtype=torch.float32), y[:, None], weight_decay=0.01)
    assert isinstance(rep.problem, dk.TwoLayerReLU)
    _close(rep.objective_torch, _torch_objective(model.double(), X, y[:, None], nn.MSELoss(),
                                                 0.01), rtol=1e-6)
    assert isinstance(rep.optimal_network, _Custom)


@pytest.mark.parametrize("model,match", [
    (_Skip(), "not the composition"),
    (_Functional(), "not the composition"),
    (nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), "module 1 is Tanh"),
    (nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5), nn.ReLU(), nn.Linear(3, 1)),
     "Dropout in train mode"),
])
def test_unrecognised_modules_are_refused_by_name(model, match):
    X, y = _data(n=10, d=2)
    with pytest.raises(ValueError, match=match):
        certify(model, X, y[:, None], weight_decay=0.01)


def test_bad_arguments_say_what_to_do():
    X, y = _data(n=10, d=2)
    model = _relu(2, bias=False)
    with pytest.raises(ValueError, match="model must be a torch nn.Module"):
        certify(None, X, y, weight_decay=0.1)
    with pytest.raises(ValueError, match="X has 3 columns"):
        certify(model, np.ones((10, 3)), y, weight_decay=0.1)
    with pytest.raises(ValueError, match="weight_decay: pass"):
        certify(model, X, y)
    with pytest.raises(ValueError, match="reduction='none'"):
        certify(model, X, y, loss=nn.MSELoss(reduction="none"), weight_decay=0.1)
    with pytest.raises(ValueError, match="certified for linear networks without biases"):
        certify(_linear(2, bias=True), X, (y > 0)[:, None].astype(float),
                loss=nn.BCEWithLogitsLoss(), weight_decay=0.1)
    with pytest.raises(ValueError, match="y is infinite"):
        certify(model, X, np.full(10, np.inf), weight_decay=0.1)


# ---------------------------------------------------------------------- the done-when test
def _train(model, X, y, opt_name, wd, steps=300):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)[:, None]
    lr = 0.05 if opt_name == "SGD" else 0.01
    opt = getattr(torch.optim, opt_name)(model.parameters(), lr=lr, weight_decay=wd)
    loss = nn.MSELoss()
    for _ in range(steps):
        opt.zero_grad()
        loss(model(Xt), yt).backward()
        opt.step()
    return opt


DONE_WHEN = [(opt, bias, kind, d) for opt in ("SGD", "Adam") for bias in (False, True)
             for kind, d in (("linear", 2), ("relu", 1), ("relu", 2))]
QUICK = {("Adam", True, "relu", 2), ("SGD", False, "linear", 2), ("SGD", True, "relu", 1)}


@pytest.mark.parametrize("opt_name,bias,kind,d", [
    case if case in QUICK else pytest.param(*case, marks=pytest.mark.medium) for case in DONE_WHEN])
def test_trained_networks_gap_matches_an_independent_evaluation(opt_name, bias, kind, d):
    X, y = _data(n=12, d=d, seed=3)
    n, wd = X.shape[0], 0.01
    torch.manual_seed(0)
    if kind == "linear":
        model = nn.Sequential(nn.Linear(d, 4, bias=bias), nn.Linear(4, 1, bias=bias))
    else:
        model = nn.Sequential(nn.Linear(d, 8, bias=bias), nn.ReLU(), nn.Linear(8, 1, bias=bias))
    opt = _train(model, X, y, opt_name, wd)
    rep = certify(model, X, y[:, None], optimizer=opt)

    # independently: beta = n wd / 2, the user's objective from the parameters in NumPy
    beta = n * wd / 2
    ps = {name: p.detach().double().numpy() for name, p in model.named_parameters()}
    A = X @ ps["0.weight"].T + (ps["0.bias"] if bias else 0)
    A = np.maximum(A, 0) if kind == "relu" else A
    last = "2" if kind == "relu" else "1"
    pred = A @ ps[f"{last}.weight"][0] + (ps[f"{last}.bias"][0] if bias else 0)
    obj = 0.5 * np.sum((pred - y) ** 2) + beta / 2 * sum(np.sum(v ** 2) for v in ps.values())
    if kind == "linear":
        Xc, yc = (X - X.mean(0), y - y.mean()) if bias else (X, y)
        prob = dk.TwoLayerLinear(Xc, yc, beta)
    elif bias and d == 1:
        prob = dk.ReLU1D(X[:, 0], y, beta)
    else:
        prob = dk.TwoLayerReLU(X, y, beta, bias="free" if bias else "none")
    gap = obj - prob.lower_bound()          # the certified optimum, solved independently
    assert rep.beta == pytest.approx(beta, rel=1e-14)
    assert rep.exact == (not bias)                 # PyTorch's default decays the biases
    assert rep.gap >= 0
    assert abs(rep.gap - gap) <= 1e-8 * abs(gap) + 1e-13 * abs(obj), (rep.gap, gap)
    assert rep.gap_torch == pytest.approx(rep.scale * rep.gap)


def test_relaxation_adds_the_biases_the_model_lacks_to_the_optimal_network():
    X, y = _data(n=10, d=2)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 5, bias=False), nn.ReLU(), nn.Linear(5, 1)).double()
    rep = certify(model, X, y[:, None], optimizer=_groups(model, 0.02, 0.0))
    assert rep.problem.bias == "free" and not rep.exact and rep.gap >= 0
    net = rep.optimal_network
    assert net[0].bias is not None and next(net.parameters()).dtype == torch.float64
    _close(rep.optimal_network_objective, rep.optimal_value, rtol=1e-9)
    assert any("adds a bias" in s for s in rep.mapping)
    assert model[0].bias is None                      # the user's model is not changed


def test_weight_decay_and_beta_are_validated():
    X, y = _data(n=10, d=2)
    model = _linear(2, bias=False)
    for kw, match in [({"weight_decay": -1.0}, "weight_decay must be a finite number >= 0"),
                      ({"weight_decay": "0.1"}, "weight_decay must be"),
                      ({"beta": 0.0}, "beta must be a finite number > 0"),
                      ({"beta": float("nan")}, "beta must be"),
                      ({"beta": 0.1, "weight_decay": 0.1}, "not both")]:
        with pytest.raises(ValueError, match=match):
            certify(model, X, y, **kw)
    opt = torch.optim.LBFGS(model.parameters())
    with pytest.raises(ValueError, match="LBFGS's weight decay is not mapped; pass beta="):
        certify(model, X, y, optimizer=opt)
    rep = certify(model, X, y, optimizer=opt, beta=0.5)
    assert rep.beta == 0.5 and rep.exact


def test_single_linear_layer_has_no_certificate():
    X, y = _data(n=10, d=2)
    rep = certify(nn.Linear(2, 1).double(), X, y, weight_decay=0.1)
    assert rep.lower_bound is None and "ridge regression" in rep.note


def test_public_api_has_docstrings_and_type_hints():
    import inspect

    from dualkit import certificate
    assert certificate.__doc__
    for name in ("certify", "CertifyReport"):
        obj = getattr(certificate, name)
        assert (obj.__doc__ or "").strip(), name
    hints = certificate.certify.__annotations__
    params = inspect.signature(certificate.certify).parameters
    assert set(params) | {"return"} <= set(hints)
    for prop in ("gap", "gap_torch", "rel_gap"):
        getter = inspect.getattr_static(certificate.CertifyReport, prop).fget
        assert getter.__doc__ and "return" in getter.__annotations__
    assert dk.certify is certificate.certify and dk.CONVENTIONS is CONVENTIONS


@pytest.mark.parametrize("bias", [False, True])
def test_the_optimal_network_certifies_itself_with_gap_zero(bias):
    X, y = _data(n=10, d=2)
    model = _relu(2, bias=bias)
    opt = _groups(model, 0.02, 0.0)
    rep = certify(model, X, y[:, None], optimizer=opt)
    net = rep.optimal_network
    again = certify(net, X, y[:, None], optimizer=_groups(net, 0.02, 0.0))
    assert again.exact and 0 <= again.gap <= 1e-6 * again.objective
    _close(again.objective, rep.optimal_value, rtol=1e-9)


def test_sampled_patterns_give_a_valid_bound_and_say_it_is_not_tight():
    X, y = _data(n=10, d=2)
    model = _relu(2, bias=False)
    rep = certify(model, X, y[:, None], weight_decay=0.02, patterns=3, seed=0)
    full = certify(model, X, y[:, None], weight_decay=0.02)
    assert not rep.exact and not rep.certified and "not certified" in rep.note
    assert rep.lower_bound <= full.lower_bound <= full.optimal_value <= rep.optimal_value
    assert 0 <= full.gap <= rep.gap


def test_report_repr_and_html_show_the_numbers():
    X, y = _data(n=10, d=3)
    rep = certify(_linear(3, bias=False), X, y, weight_decay=0.05)
    text, page = repr(rep), rep._repr_html_()
    assert "TwoLayerLinear" in text and "rel_gap=" in text and "exact=True" in text
    assert "<table" in page and "TwoLayerLinear" in page and "nn.MSELoss()" in page


class _ExtraParameter(_Custom):
    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.out(self.act(self.hidden(x))) * self.gain


def test_a_parameter_outside_the_linear_layers_is_refused_by_name():
    X, y = _data(n=10, d=2)
    with pytest.raises(ValueError, match="parameter gain belongs to no nn.Linear"):
        certify(_ExtraParameter(), X, y, weight_decay=0.01)


def test_certify_changes_neither_the_model_nor_the_optimizer():
    X, y = _data(n=10, d=2)
    model = _relu(2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.01)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    groups = [dict(g) for g in opt.param_groups]
    certify(model, X, y, optimizer=opt)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert [g["weight_decay"] for g in opt.param_groups] == [g["weight_decay"] for g in groups]
    assert not model[0]._forward_hooks and not model[1]._forward_hooks


@pytest.mark.medium                        # a cvxpy solve (exponential cone)
@pytest.mark.parametrize("bias", [False, True])
def test_relu_classifier_with_bce_is_certified_as_the_logistic_two_layer_relu(bias):
    """nn.BCEWithLogitsLoss on a two-layer ReLU network: TwoLayerReLU(loss="logistic") at
    beta = n wd (a = 1/n); the reported gap matches an independent evaluation."""
    X, y = _data(n=10, d=2, seed=1)
    t = (y > np.median(y)).astype(float)
    n, wd = X.shape[0], 0.02
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8, bias=bias), nn.ReLU(), nn.Linear(8, 1, bias=bias))
    model = model.double()
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    groups = [{"params": weights, "weight_decay": wd}]
    if bias:
        groups.append({"params": [model[0].bias, model[2].bias], "weight_decay": 0.0})
    opt = torch.optim.Adam(groups, lr=0.02)
    loss = nn.BCEWithLogitsLoss()
    Xt, tt = torch.as_tensor(X), torch.as_tensor(t)[:, None]
    for _ in range(200):
        opt.zero_grad()
        loss(model(Xt), tt).backward()
        opt.step()
    rep = certify(model, X, t[:, None], loss=loss, optimizer=opt)
    beta = n * wd
    assert rep.scale == pytest.approx(1 / n) and rep.beta == pytest.approx(beta, rel=1e-14)
    assert rep.exact and rep.certified
    prob = dk.TwoLayerReLU(X, 2 * t - 1, beta, bias="free" if bias else "none", loss="logistic")
    ps = {k: v.detach().numpy() for k, v in model.named_parameters()}
    A = np.maximum(X @ ps["0.weight"].T + (ps["0.bias"] if bias else 0), 0)
    z = A @ ps["2.weight"][0] + (ps["2.bias"][0] if bias else 0)
    obj = (np.sum(np.logaddexp(0, -(2 * t - 1) * z))
           + beta / 2 * (np.sum(ps["0.weight"] ** 2) + np.sum(ps["2.weight"] ** 2)))
    _close(_torch_objective(model, X, t[:, None], loss,
                            {p: (wd if p.dim() == 2 else 0.0) for p in model.parameters()}),
           obj / n)
    gap = obj - prob.lower_bound()
    assert rep.gap >= 0
    # the bound is the dual value of an interior-point (cvxpy) solve, reproducible between two
    # solves to about 1e-11 of the objective (the squared-loss test above asks 1e-13)
    assert abs(rep.gap - gap) <= 1e-8 * abs(gap) + 1e-10 * abs(obj), (rep.gap, gap)
    assert rep.optimal_network_objective == pytest.approx(rep.optimal_value, rel=1e-6)


@pytest.mark.parametrize("y", [1.0, np.float64(1.0), "tensor"])
def test_scalar_y_is_a_value_error_naming_y(y):
    """A 0-d y (a scalar, or a 0-d tensor) is refused with a ValueError saying the shape to
    pass (it was an IndexError)."""
    X, _ = _data()
    y = torch.tensor(1.0) if isinstance(y, str) else y
    with pytest.raises(ValueError, match=r"y is a scalar.*\(n,\) or \(n, K\)"):
        certify(_relu(2), X, y, weight_decay=0.1)


@pytest.mark.parametrize("which", ["X", "y"])
def test_non_numeric_X_or_y_is_a_value_error_naming_it(which):
    """Strings (or None) for X or y: a ValueError that names the argument (numpy's 'could not
    convert string to float' did not)."""
    X, y = _data()
    args = {"X": X, "y": y}
    args[which] = [["a"] * 2] * len(y) if which == "X" else ["a"] * len(y)
    with pytest.raises(ValueError, match=rf"^{which} must be a numeric array or tensor"):
        certify(_relu(2), args["X"], args["y"], weight_decay=0.1)
    args[which] = None
    with pytest.raises(ValueError, match=rf"^{which} must be a numeric array.*NoneType"):
        certify(_relu(2), args["X"], args["y"], weight_decay=0.1)
    if which == "X":                # ragged rows: numpy's own error, named
        with pytest.raises(ValueError, match=r"^X could not be read as an array.*equal length"):
            certify(_relu(2), [[1.0, 2.0], [3.0]], y[:2], weight_decay=0.1)


def test_a_failed_relu_solve_gives_a_report_without_certificate(monkeypatch):
    """When TwoLayerReLU's solver fails (cvxpy's CLARABEL ends 'optimal_inaccurate' on a
    logistic two-layer ReLU with free biases at n = 20, d = 3), certify reports the objective
    and no bound, with the solver's message in the note, instead of raising RuntimeError."""
    def fail(self, *args, **kwargs):
        raise RuntimeError("cvxpy solver CLARABEL ended with status 'optimal_inaccurate'")
    monkeypatch.setattr(dk.TwoLayerReLU, "solve", fail)
    X, y = _data(d=2)
    t = (y > np.median(y)).astype(float)
    model = _relu(2)
    rep = certify(model, X, t, loss=nn.BCEWithLogitsLoss(), weight_decay=0.01)
    assert rep.lower_bound is None and rep.gap is None and not rep.certified and not rep.exact
    assert "optimal_inaccurate" in rep.note and rep.optimal_network is None
    assert isinstance(rep.problem, dk.TwoLayerReLU) and rep.beta == pytest.approx(len(t) * 0.01)
    z = model(torch.as_tensor(X)).detach().numpy()[:, 0]
    assert rep.objective_torch == pytest.approx(
        np.mean(np.logaddexp(0, -(2 * t - 1) * z))
        + 0.005 * sum(float((p.detach() ** 2).sum()) for p in model.parameters()), rel=1e-12)


@pytest.mark.parametrize("loss, match", [
    (nn.MSELoss, r"got the class MSELoss; pass an instance, MSELoss\(\)"),
    (nn.functional.mse_loss, r"got function mse_loss; pass the loss module, e\.g\. nn\.MSELoss"),
])
def test_a_loss_class_or_function_is_named_as_such(loss, match):
    """nn.MSELoss (the class) or F.mse_loss (a function) for loss=: a ValueError saying to pass
    the module instance (it said 'reduction=None is not a scalar objective')."""
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        certify(_relu(2), X, y, loss=loss, weight_decay=0.1)


def test_a_tensor_weight_decay_is_told_to_pass_a_float():
    """weight_decay=torch.tensor(0.01) is refused with the fix, float(weight_decay)."""
    X, y = _data()
    with pytest.raises(ValueError, match=r"pass float\(weight_decay\)"):
        certify(_relu(2), X, y, weight_decay=torch.tensor(0.01))


def test_a_frozen_parameter_outside_the_optimizer_is_named_frozen():
    """A hidden bias frozen with requires_grad_(False) (so not in the optimizer) is refused
    saying it is frozen and how to proceed, not 'pass the optimizer that trained this model'."""
    X, y = _data()
    model = _relu(2)
    model[0].bias.requires_grad_(False)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], weight_decay=0.01)
    with pytest.raises(ValueError, match=r"\['0\.bias'\] are frozen \(requires_grad=False\)"):
        certify(model, X, y, optimizer=opt)
