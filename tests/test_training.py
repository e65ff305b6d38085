"""bprop train: optimizers against hand-written references of their published update
equations (and torch.optim when installed), Mazur's published numbers, --data means against
--batch rows, JSON/--save, Ctrl-C, NaN stops, --plot without matplotlib."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys

import pytest
from conftest import ROOT, bprop
from hypothesis import given, settings
from hypothesis import strategies as st

from bprop_cli.training import optim
from bprop_cli.training.loop import Problem, batches, train

# f(w, b) = (w*x + b - y)^2 + 0.1*w^4: a smooth loss with a known gradient
PROGRAM = "(w*x + b - y)^2 + 0.1*w^4"
X, Y = 1.5, -0.5


def grad(w: float, b: float) -> tuple[float, float]:
    r = w * X + b - Y
    return 2 * r * X + 0.4 * w**3, 2 * r


def reference(name: str, steps: int, lr: float, **h: float) -> list[tuple[float, float]]:
    """The optimizers' equations as published (PyTorch's documentation), on (w, b)."""
    p = [0.8, -0.3]
    m = [0.0, 0.0]
    v = [0.0, 0.0]
    out = []
    for t in range(1, steps + 1):
        g = list(grad(*p))
        for i in range(2):
            if name == "sgd":
                p[i] -= lr * g[i]
            elif name == "momentum":
                mu = h.get("momentum", 0.9)
                m[i] = g[i] if t == 1 else mu * m[i] + g[i]
                p[i] -= lr * m[i]
            elif name == "rmsprop":
                a, eps = h.get("alpha", 0.99), 1e-8
                v[i] = a * v[i] + (1 - a) * g[i] ** 2
                p[i] -= lr * g[i] / (math.sqrt(v[i]) + eps)
            elif name == "adam":
                b1, b2, eps = h.get("beta1", 0.9), h.get("beta2", 0.999), 1e-8
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
                mhat, vhat = m[i] / (1 - b1**t), v[i] / (1 - b2**t)
                p[i] -= lr * mhat / (math.sqrt(vhat) + eps)
        out.append((p[0], p[1]))
    return out


def ours(name: str, steps: int, lr: float, **h: float) -> list[tuple[float, float]]:
    problem = Problem(PROGRAM, {"w": 0.8, "b": -0.3, "x": X, "y": Y}, ("w", "b"))
    seen: list[tuple[float, float]] = []
    opt = optim.make(name, **h)
    result = train(problem, opt, optim.constant(lr), steps)
    # replay: parameters after each step come from the losses' points, so re-run step by step
    for k in range(1, steps + 1):
        r = train(Problem(PROGRAM, {"w": 0.8, "b": -0.3, "x": X, "y": Y}, ("w", "b")), optim.make(name, **h),
                  optim.constant(lr), k)
        seen.append((r.params["w"], r.params["b"]))
    assert seen[-1] == (result.params["w"], result.params["b"])
    return seen


@pytest.mark.parametrize("name,lr,hyper", [
    ("sgd", 0.05, {}), ("momentum", 0.02, {}), ("momentum", 0.02, {"momentum": 0.5}),
    ("rmsprop", 0.01, {}), ("rmsprop", 0.01, {"alpha": 0.9}),
    ("adam", 0.05, {}), ("adam", 0.05, {"beta1": 0.8, "beta2": 0.99}),
], ids=["sgd", "momentum", "momentum-0.5", "rmsprop", "rmsprop-0.9", "adam", "adam-betas"])
def test_optimizers_follow_their_published_equations(name: str, lr: float, hyper: dict[str, float]) -> None:
    expected = reference(name, 8, lr, **hyper)
    got = ours(name, 8, lr, **hyper)
    for (w, b), (ew, eb) in zip(got, expected):
        assert w == pytest.approx(ew, rel=1e-12, abs=1e-14) and b == pytest.approx(eb, rel=1e-12, abs=1e-14)


def test_defaults_are_pytorchs() -> None:
    assert optim.SGD.lr == optim.Momentum.lr == optim.Adam.lr == 1e-3 and optim.RMSprop.lr == 1e-2
    assert optim.Adam.hyper == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert optim.RMSprop.hyper == {"alpha": 0.99, "eps": 1e-8}


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_optimizers_against_torch_optim(name: str) -> None:
    torch = pytest.importorskip("torch")
    lr = {"sgd": 0.05, "momentum": 0.02, "rmsprop": 0.01, "adam": 0.05}[name]
    p = torch.tensor([0.8, -0.3], dtype=torch.float64, requires_grad=True)
    make = {"sgd": lambda: torch.optim.SGD([p], lr=lr), "momentum": lambda: torch.optim.SGD([p], lr=lr, momentum=0.9),
            "rmsprop": lambda: torch.optim.RMSprop([p], lr=lr), "adam": lambda: torch.optim.Adam([p], lr=lr)}[name]
    opt = make()
    got = ours(name, 6, lr)
    for w, b in got:
        opt.zero_grad()
        loss = (p[0] * X + p[1] - Y) ** 2 + 0.1 * p[0] ** 4
        loss.backward()
        opt.step()
        assert (w, b) == pytest.approx((p[0].item(), p[1].item()), rel=1e-12, abs=1e-14)


def test_mazur_one_step_recomputed_and_published() -> None:
    data = json.loads(bprop("train", "--example", "mazur-scalar", "--json").stdout)
    assert data["losses"][0] == pytest.approx(0.298371109, abs=5e-10)
    assert data["losses"][1] == pytest.approx(0.291027774, abs=5e-10)
    published = {row["label"]: row for row in data["published"]}
    assert published["total error after one step"]["published"] == 0.291027924
    # the post's updated weights (to its printed digits)
    expected = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
                "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}
    assert data["params"] == pytest.approx(expected, abs=1e-8)
    table = bprop("train", "--example", "mazur-scalar").stdout
    assert "0.291027924" in table and "0.291027774" in table and "shown as published" in table


def test_mazur_in_matrix_form_takes_the_same_step() -> None:
    r = bprop("train", "-f", "examples/mazur.bp", "--values", "examples/mazur.json",
              "--params", "W1,W2", "--lr", "0.5", "--steps", "1", "--json")
    data = json.loads(r.stdout)
    assert data["losses"][1] == pytest.approx(0.291027774, abs=5e-10)
    w2 = data["params"]["W2"]
    assert w2[0] + w2[1] == pytest.approx([0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=1e-8)
    assert data["params"]["W1"][0] == pytest.approx([0.149780716, 0.19956143], abs=1e-8)
    scalar = json.loads(bprop("train", "--example", "mazur-scalar", "--steps", "50", "--json").stdout)
    matrix = json.loads(bprop("train", "--example", "mazur", "--steps", "50", "--json").stdout)
    assert matrix["losses"] == pytest.approx(scalar["losses"], rel=1e-12)
    table = bprop("train", "--example", "mazur", "--no-chart").stdout
    assert max(map(len, table.splitlines())) <= 80 and "new value" in table


def test_json_shape_and_save_resumes_the_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = (PROGRAM, "w=0.8", "b=-0.3", f"x={X}", f"y={Y}", "--params", "w,b", "--lr", "0.05")
    saved = tmp_path / "trained.json"
    first = json.loads(bprop("train", *args, "--steps", "5", "--json", "--save", str(saved)).stdout)
    assert set(first) >= {"bprop", "optimizer", "lr", "steps", "losses", "initial", "params"}
    assert first["steps"] == 5 and len(first["losses"]) == 6 and first["initial"] == {"w": 0.8, "b": -0.3}
    values = json.loads(saved.read_text())
    assert values == {"w": first["params"]["w"], "b": first["params"]["b"], "x": X, "y": Y}
    resumed = json.loads(bprop("train", PROGRAM, "--values", str(saved), "--params", "w,b", "--lr", "0.05",
                               "--steps", "5", "--json").stdout)
    whole = json.loads(bprop("train", *args, "--steps", "10", "--json").stdout)
    assert resumed["losses"] == whole["losses"][5:]
    # and the saved file evaluates as it is
    assert bprop("eval", PROGRAM, "--values", str(saved)).returncode == 0
    # losses are the program's value at each step's parameters
    assert first["losses"][0] == pytest.approx((0.8 * X - 0.3 - Y) ** 2 + 0.1 * 0.8**4)


def test_data_mean_loss_is_the_mean_of_the_batch_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    points = tmp_path / "points.csv"
    points.write_text("x,y\n1,2\n2,4.5\n-1,-1\n3,6.2\n0.5,1\n")
    model = "(w*x + b - y)^2"
    r = bprop("train", model, "w=0.3", "b=0.1", "--data", str(points), "--params", "w,b", "--steps", "3",
              "--lr", "0.01", "--json")
    data = json.loads(r.stdout)
    for k in (0, 3):
        at = data["initial"] if k == 0 else data["params"]
        rows = bprop("eval", model, f"w={at['w']!r}", f"b={at['b']!r}", "--batch", str(points), "--format", "csv")
        lines = rows.stdout.splitlines()
        header = lines[0].split(",")
        values = [float(line.split(",")[header.index("f")]) for line in lines[1:]]
        assert data["losses"][k] == pytest.approx(sum(values) / len(values), rel=1e-12)


def test_data_formats_and_mini_batches_agree(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [(1, 2), (2, 4.5), (-1, -1), (3, 6.2), (0.5, 1)]
    (tmp_path / "p.tsv").write_text("x\ty\n" + "".join(f"{x}\t{y}\n" for x, y in rows))
    (tmp_path / "p.jsonl").write_text("".join(json.dumps({"x": x, "y": y}) + "\n" for x, y in rows))
    (tmp_path / "p.csv").write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in rows))
    runs = [json.loads(bprop("train", "(w*x + b - y)^2", "w=0.3", "b=0.1", "--data", str(tmp_path / name),
                             "--params", "w,b", "--steps", "4", "--lr", "0.01", "--batch-size", "2",
                             "--shuffle-seed", "7", "--json").stdout) for name in ("p.tsv", "p.jsonl", "p.csv")]
    assert runs[0]["losses"] == runs[1]["losses"] == runs[2]["losses"]
    other = json.loads(bprop("train", "(w*x + b - y)^2", "w=0.3", "b=0.1", "--data", str(tmp_path / "p.csv"),
                             "--params", "w,b", "--steps", "4", "--lr", "0.01", "--batch-size", "2",
                             "--shuffle-seed", "8", "--json").stdout)
    assert other["losses"][0] == runs[0]["losses"][0] and other["losses"][1:] != runs[0]["losses"][1:]


def test_mini_batch_step_uses_the_mean_gradient_of_its_rows() -> None:
    rows = [{"x": 1.0, "y": 2.0}, {"x": 2.0, "y": 4.5}, {"x": -1.0, "y": -1.0}, {"x": 3.0, "y": 6.2}]
    problem = Problem("(w*x + b - y)^2", {"w": 0.3, "b": 0.1}, ("w", "b"), rows)
    result = train(problem, optim.make("sgd"), optim.constant(0.1), 1, batch_size=2, shuffle_seed=3)
    picked = result.first.batch
    gw = sum(2 * (0.3 * rows[i]["x"] + 0.1 - rows[i]["y"]) * rows[i]["x"] for i in picked) / 2
    gb = sum(2 * (0.3 * rows[i]["x"] + 0.1 - rows[i]["y"]) for i in picked) / 2
    assert result.params == pytest.approx({"w": 0.3 - 0.1 * gw, "b": 0.1 - 0.1 * gb})


@given(st.integers(1, 30), st.integers(1, 12), st.integers(0, 5))
@settings(max_examples=40, deadline=None)
def test_each_pass_visits_every_row_once(n: int, size: int, seed: int) -> None:
    gen = batches(n, size, seed)
    seen: list[int] = []
    while len(seen) < n:
        seen += next(gen)
    assert sorted(seen) == list(range(n))


def test_a_loss_that_overflows_stops_naming_the_step_and_node() -> None:
    r = bprop("train", "(w*x)^2", "w=1", "x=10", "--params", "w", "--lr", "100", "--steps", "500")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "step " in r.stderr and ("node" in r.stderr or "update of w" in r.stderr)
    assert "after " in r.stdout  # what it got to is still shown
    j = bprop("train", "(w*x)^2", "w=1", "x=10", "--params", "w", "--lr", "100", "--steps", "500", "--json")
    assert j.returncode == 1 and "error" in json.loads(j.stdout)


def test_usage_errors_are_one_line() -> None:
    cases = [
        (("train", "w^2", "w=1"), "--params"),
        (("train", "w^2", "w=1", "--params", "v"), "'v'"),
        (("train", "w^2", "w=1", "--params", "w", "--steps", "0"), "--steps"),
        (("train", "w^2", "w=1", "--params", "w", "--lr", "-1"), "--lr"),
        (("train", "w^2", "w=1", "--params", "w", "--batch-size", "2"), "--data"),
        (("train", "w^2", "w=1", "--params", "w", "--betas", "0.9,0.99"), "--betas"),
        (("train", "w^2", "w=1", "--params", "w", "--plot", "x.gif"), ".png"),
        (("train", "--example", "moon"), "did you mean moons"),
    ]
    for args, expected in cases:
        r = bprop(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert expected in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_plot_without_matplotlib_says_how_to_install(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "matplotlib.py").write_text("raise ImportError('blocked for the test')\n")
    env = {"PYTHONPATH": f"{blocker}{os.pathsep}{ROOT}"}
    r = bprop("train", "w^2", "w=1", "--params", "w", "--lr", "0.1", "--steps", "3", "--plot",
              str(tmp_path / "loss.png"), env=env)
    assert r.returncode == 1 and "pip install" in r.stderr and "matplotlib" in r.stderr
    assert "after 3 of 3 steps" in r.stdout


def test_plot_writes_png_and_svg(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("matplotlib")
    for name in ("loss.png", "loss.svg"):
        path = tmp_path / name
        r = bprop("train", "w^2", "w=1", "--params", "w", "--lr", "0.1", "--steps", "20", "--plot", str(path))
        assert r.returncode == 0, r.stderr
        head = path.read_bytes()[:64]
        assert head.startswith(b"\x89PNG") if name.endswith(".png") else b"<svg" in path.read_bytes()[:2000]


def test_ctrl_c_stops_after_the_current_step_and_still_saves(tmp_path) -> None:  # type: ignore[no-untyped-def]
    saved = tmp_path / "w.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bprop_cli", "train", "(w - 3)^2", "w=0", "--params", "w", "--lr", "1e-6",
         "--steps", "100000000", "--every", "1000000", "--save", str(saved), "--no-chart"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"})
    assert proc.stdout is not None
    for line in proc.stdout:  # the loop has begun (and so listens for Ctrl-C) once step 1 is reported,
        if line.startswith("step "):  # however long the interpreter took to start on a busy machine
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped by Ctrl-C after step" in err and "interrupted" in out
    assert 0 < json.loads(saved.read_text())["w"] < 3


def test_terminal_view_at_80_columns() -> None:
    r = bprop("train", PROGRAM, "w=0.8", "b=-0.3", f"x={X}", f"y={Y}", "--params", "w,b", "--lr", "0.05",
              "--steps", "50", "--every", "10")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "Step 1 in full" in r.stdout and "-lr*grad" in r.stdout
    assert sum(line.startswith("step ") for line in lines) == 6  # steps 1, 10, 20, 30, 40, 50
    assert "loss) after each step" in r.stdout or "loss after each step" in r.stdout  # the chart
    assert "\x1b" not in r.stdout


def test_adam_first_step_shows_its_state() -> None:
    r = bprop("train", PROGRAM, "w=0.8", "b=-0.3", f"x={X}", f"y={Y}", "--params", "w,b", "--optimizer", "adam",
              "--steps", "2")
    assert "m/(1-b1^t)" in r.stdout and "adam" in r.stdout


def test_explain_gradient_descent_on_the_users_program() -> None:
    r = bprop("explain", "gradient-descent", "(w*x + b - y)^2", "w=0.5", "b=0", "x=2", "y=3",
              "--params", "w,b", "--lr", "0.05")
    assert r.returncode == 0, r.stderr
    # dL/dw = 2*(wx+b-y)*x = -8, dL/db = -4: w 0.5 -> 0.9, b 0 -> 0.2, L 4 -> (1.8+0.2-3)^2 = 1
    assert "0.5 - 0.05 * (-8) = 0.9" in r.stdout and "0 - 0.05 * (-4) = 0.2" in r.stdout
    assert "f = 1 (was 4" in r.stdout and "x, y stay fixed" in r.stdout
    assert "bprop train" in r.stdout
    canned = bprop("explain", "gradient-descent")
    assert canned.returncode == 0 and "perceptron" in canned.stdout


def test_loss_gates_train_a_logistic_neuron() -> None:
    # cross-entropy on a logit: the gradient is sigmoid(z) - y, so one step moves w by -lr*(s - y)*x
    r = json.loads(bprop("train", "bce_logits(w*x + b, y)", "w=0.2", "b=0", "x=1.5", "y=1", "--params", "w,b",
                         "--lr", "0.5", "--steps", "1", "--json").stdout)
    s = 1 / (1 + math.exp(-0.3))
    assert r["params"] == pytest.approx({"w": 0.2 - 0.5 * (s - 1) * 1.5, "b": -0.5 * (s - 1)}, rel=1e-12)
    bce = json.loads(bprop("train", "bce(sigmoid(w*x + b), y)", "w=0.2", "b=0", "x=1.5", "y=1", "--params", "w,b",
                           "--lr", "0.5", "--steps", "1", "--json").stdout)
    assert bce["params"] == pytest.approx(r["params"], rel=1e-12) and bce["losses"] == pytest.approx(r["losses"])
    mse = json.loads(bprop("train", "mse(w*x, y)", "w=0.2", "x=1.5", "y=1", "--params", "w", "--lr", "0.1",
                           "--steps", "1", "--json").stdout)
    assert mse["params"]["w"] == pytest.approx(0.2 - 0.1 * 2 * (0.3 - 1) * 1.5)


def test_perceptron_example_descends_as_the_update_rule_says() -> None:
    data = json.loads(bprop("train", "--example", "perceptron", "--json").stdout)
    assert all(b < a for a, b in zip(data["losses"], data["losses"][1:]))
    first = json.loads(bprop("train", "--example", "perceptron", "--steps", "1", "--json").stdout)
    # by hand: dL/dwi = (yhat - y) * yhat * (1 - yhat) * xi (the perceptron walkthrough's formula)
    x = {"w1": 0.5, "w2": -1.0, "w3": 2.0, "w4": 1.0, "b": 1.0}
    z = 0.1 * 0.5 + -0.2 * -1 + 0.3 * 2 + 0.4 * 1 + 0.1
    yhat = 1 / (1 + math.exp(-z))
    delta = (yhat - 1) * yhat * (1 - yhat)
    init = first["initial"]
    assert first["params"] == pytest.approx({k: init[k] - 0.5 * delta * x[k] for k in x}, rel=1e-12)


def test_moons_reaches_full_training_accuracy() -> None:
    r = bprop("train", "--example", "moons", "--no-chart")
    assert r.returncode == 0, r.stderr
    assert "training accuracy: 100% (100 of 100 points)" in r.stdout
    picture = r.stdout.split("points: '#' labelled +1, 'o' labelled -1\n", 1)[1].splitlines()
    assert len(picture) >= 20 and {":", "."} <= set("".join(picture))


def test_two_moons_are_deterministic_and_shaped_like_scikit_learns() -> None:
    from bprop_cli.training.runs import mlp_init, mlp_program, two_moons

    a, b = two_moons(), two_moons()
    assert a == b and len(a) == 100 and sum(r["y"] > 0 for r in a) == 50
    outer = [r for r in a if r["y"] < 0]
    assert sum(r["x2"] for r in outer) / 50 > 0.4  # the upper half circle
    init = mlp_init()
    assert len(init) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert all(-1 <= v <= 1 for k, v in init.items() if k.startswith("w")) and all(
        v == 0 for k, v in init.items() if k.startswith("b"))
    assert "relu(1 - y*score)" in mlp_program()


@pytest.mark.parametrize("example", ["mazur", "mazur-scalar", "moons"])
def test_the_training_view_in_a_pipe_has_no_trailing_spaces(example: str) -> None:
    """Rich leaves a space where it wraps a line and pads a table's last column; a pipe gets neither."""
    r = bprop("train", "--example", example)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    assert max(map(len, lines)) <= 80 and r.stdout.endswith("\n")
