"""Benchmark: programs over vectors and matrices against PyTorch, NumPy by hand and micrograd.

How to run (from the repository root; a few minutes on 2 busy cores, most of it micrograd and
the whole-process runs):

    pip install -e '.[bench]'               # torch (a CPU build) and micrograd; see the README
    python bench/arrays.py                  # both networks, 9 interleaved rounds, 5 process runs
    python bench/arrays.py --quick          # 3 rounds, 2 process runs
    python bench/arrays.py --threads 1      # one BLAS/PyTorch thread: steadier on a busy machine
    python bench/arrays.py --json out.json  # every measurement as JSON too

If OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is set in your shell, it can slow NumPy's matrix
products: run `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/arrays.py` (the script
says so when it sees them).

Two networks, both float64 on the CPU, forward and backward of one loss:

  mlp   784-128-10 relu MLP, a batch of 64, softmax and cross-entropy written as
        -sum(t * log(softmax(s)))/64. bprop's run() (parse, bind, shapes, forward, backward
        and the trace's records) against PyTorch and against NumPy written by hand, timed in
        the same rounds (each round runs every contender once, so a busy machine slows all of
        them alike); the target is bprop within 2x of PyTorch. bprop gives the gradient of
        every input, the batch X and the targets t too, so PyTorch is timed both ways: with
        requires_grad on the parameters only (a training step) and on every input (the same
        work as bprop). The whole process `bprop eval ... --values big.json --json` is timed
        separately, with a PyTorch script that reads the same file and writes its gradients.
  small 2-16-16-1 relu MLP on 100 points of 2 features, mean squared error: bprop's run()
        against the same network, with the same weights, in micrograd's scalar engine (the
        micrograd lecture); the target is bprop at least 50x faster.

Before timing, every contender's loss and gradients are checked against bprop's (a benchmark of
a wrong answer measures nothing). The ratios are medians of the per-round ratios. Nothing here
is used by bprop itself or by its tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's bprop, not an installed one

from bprop_cli import compile_program  # noqa: E402
from bprop_cli.engine.arrays import backward, forward, infer_shapes  # noqa: E402
from bprop_cli.engine.run import run  # noqa: E402
from bprop_cli.engine.values import bind  # noqa: E402

MLP = "h = relu(X @ W1 + b1); s = h @ W2 + b2; L = -sum(t * log(softmax(s)))/64"
SMALL = "h1 = relu(X @ W1 + b1); h2 = relu(h1 @ W2 + b2); y = h2 @ W3 + b3; L = mse(y, t)"
SLOW_BLAS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# -- the values ------------------------------------------------------------------------------


def mlp_values(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((64, 784)),
        "W1": rng.standard_normal((784, 128)) * (2 / 784) ** 0.5,
        "b1": rng.standard_normal(128) * 0.01,
        "W2": rng.standard_normal((128, 10)) * (2 / 128) ** 0.5,
        "b2": rng.standard_normal(10) * 0.01,
        "t": np.eye(10)[rng.integers(0, 10, 64)],
    }


def small_values(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (100, 2))
    return {
        "X": X,
        "W1": rng.uniform(-1, 1, (2, 16)), "b1": rng.uniform(-0.1, 0.1, 16),
        "W2": rng.uniform(-1, 1, (16, 16)) * 0.5, "b2": rng.uniform(-0.1, 0.1, 16),
        "W3": rng.uniform(-1, 1, (16, 1)) * 0.5, "b3": rng.uniform(-0.1, 0.1, 1),
        "t": np.where(X[:, :1] * X[:, 1:] > 0, 1.0, -1.0),  # the sign of x*y: a net's task
    }


# -- the contenders ----------------------------------------------------------------------------
# Each maker returns (step, check): step() runs forward and backward once; check() returns the
# loss and the gradients by input name, to compare with bprop's before anything is timed.


def bprop_run(program: str, values: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    def step() -> Any:
        return run(program, values)

    def check() -> tuple[float, dict[str, np.ndarray]]:
        trace = run(program, values)
        return trace.value, {k: np.asarray(v) for k, v in trace.gradients.items()}

    return step, check


def bprop_passes(program: str, values: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    """The engine alone on a graph built and bound once: shapes, forward, backward, records."""
    graph = compile_program(program)
    bound = bind(graph, values)

    def step() -> Any:
        shapes, remarks = infer_shapes(graph, bound)
        return backward(graph, forward(graph, bound, shapes), shapes, 1.0, remarks)

    def check() -> tuple[float, dict[str, np.ndarray]]:
        trace = step()
        return trace.value, {k: np.asarray(v) for k, v in trace.gradients.items()}

    return step, check


def numpy_mlp(v: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    """The same network and the same gradients (every input's), written out by hand."""
    X, W1, b1, W2, b2, t = (v[k] for k in ("X", "W1", "b1", "W2", "b2", "t"))
    n = X.shape[0]

    def step() -> tuple[float, dict[str, np.ndarray]]:
        z = X @ W1 + b1
        h = np.maximum(z, 0.0)
        s = h @ W2 + b2
        e = np.exp(s - s.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        logp = np.log(p)
        loss = -float(np.sum(t * logp)) / n
        gs = (p * t.sum(axis=1, keepdims=True) - t) / n  # softmax + cross-entropy, for any t
        gz = (gs @ W2.T) * (z > 0)
        return loss, {"X": gz @ W1.T, "W1": X.T @ gz, "b1": gz.sum(axis=0), "W2": h.T @ gs,
                      "b2": gs.sum(axis=0), "t": -logp / n}

    return step, step


def torch_mlp(v: dict[str, np.ndarray], every_input: bool):  # type: ignore[no-untyped-def]
    import torch

    tensors = {k: torch.tensor(a, dtype=torch.float64) for k, a in v.items()}
    wanted = list(tensors) if every_input else ["W1", "b1", "W2", "b2"]
    for k in wanted:
        tensors[k].requires_grad_(True)
    X, W1, b1, W2, b2, t = (tensors[k] for k in ("X", "W1", "b1", "W2", "b2", "t"))
    n = X.shape[0]

    def step() -> Any:
        for k in wanted:
            tensors[k].grad = None
        h = torch.relu(X @ W1 + b1)
        s = h @ W2 + b2
        loss = -torch.sum(t * torch.log(torch.softmax(s, dim=1))) / n
        loss.backward()
        return loss

    def check() -> tuple[float, dict[str, np.ndarray]]:
        loss = step()
        return loss.item(), {k: tensors[k].grad.numpy().copy() for k in wanted}

    return step, check


def torch_small(v: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    import torch

    tensors = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in v.items()}
    X, W1, b1, W2, b2, W3, b3, t = (tensors[k] for k in ("X", "W1", "b1", "W2", "b2", "W3", "b3", "t"))

    def step() -> Any:
        for a in tensors.values():
            a.grad = None
        h1 = torch.relu(X @ W1 + b1)
        h2 = torch.relu(h1 @ W2 + b2)
        loss = torch.mean((h2 @ W3 + b3 - t) ** 2)
        loss.backward()
        return loss

    def check() -> tuple[float, dict[str, np.ndarray]]:
        loss = step()
        return loss.item(), {k: a.grad.numpy().copy() for k, a in tensors.items()}

    return step, check


def micrograd_small(v: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    """micrograd's own MLP(2, [16, 16, 1]) given bprop's weights: relu hidden layers, a linear
    output, and the mean squared error over the 100 points, built and backpropagated anew each
    step as in the micrograd lecture's training loop."""
    from micrograd.engine import Value
    from micrograd.nn import MLP as MicroMLP

    model = MicroMLP(2, [16, 16, 1])
    for layer, (W, b) in zip(model.layers, (("W1", "b1"), ("W2", "b2"), ("W3", "b3"))):
        for j, neuron in enumerate(layer.neurons):  # neuron j holds column j of W
            for i, w in enumerate(neuron.w):
                w.data = float(v[W][i, j])
            neuron.b.data = float(v[b][j])
    points = [[float(a) for a in row] for row in v["X"]]
    targets = [float(a) for a in v["t"][:, 0]]

    def step() -> Any:
        model.zero_grad()
        xs = [[Value(a) for a in row] for row in points]
        ys = [model(x) for x in xs]
        loss = sum(((y - t) ** 2 for y, t in zip(ys, targets)), Value(0.0)) * (1.0 / len(targets))
        loss.backward()
        return loss, xs

    def check() -> tuple[float, dict[str, np.ndarray]]:
        loss, xs = step()
        grads = {"X": np.array([[a.grad for a in row] for row in xs])}
        for layer, (W, b) in zip(model.layers, (("W1", "b1"), ("W2", "b2"), ("W3", "b3"))):
            grads[W] = np.array([[n.w[i].grad for n in layer.neurons] for i in range(len(layer.neurons[0].w))])
            grads[b] = np.array([n.b.grad for n in layer.neurons])
        return loss.data, grads

    return step, check


def agree(name: str, reference: tuple[float, dict[str, np.ndarray]], got: tuple[float, dict[str, np.ndarray]]) -> None:
    """Stop the benchmark if a contender computes something else than bprop."""
    loss, grads = reference
    other_loss, other = got
    problems = [] if np.isclose(loss, other_loss, rtol=1e-9, atol=1e-12) else [f"loss {other_loss} != {loss}"]
    for k, g in other.items():
        if not np.allclose(np.reshape(g, np.shape(grads[k])), grads[k], rtol=1e-7, atol=1e-10):
            problems.append(f"gradient of {k} differs (max |diff| {np.max(np.abs(np.reshape(g, np.shape(grads[k])) - grads[k])):.3g})")
    if problems:
        sys.exit(f"bench/arrays.py: {name} disagrees with bprop: {'; '.join(problems)}")


# -- timing ------------------------------------------------------------------------------------


def rounds(steps: dict[str, Callable[[], Any]], count: int, reps: dict[str, int]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Seconds per step of each contender, wall and CPU (of all this process's threads), `count`
    rounds; in a round every contender runs once (`reps[name]` steps, averaged, for the fast
    ones) in turn, so a busy moment hits all alike."""
    for step in steps.values():  # warm up: imports, caches, BLAS threads
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(count):
        for name, step in steps.items():
            k = reps.get(name, 1)
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(k):
                step()
            times[name].append((time.perf_counter() - start) / k)
            cpu[name].append((time.process_time() - start_cpu) / k)
    return times, cpu


def ratio(times: dict[str, list[float]], a: str, b: str) -> float:
    """Median over the rounds of a's time / b's time in the same round."""
    return statistics.median(x / y for x, y in zip(times[a], times[b]))


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms"


def process_runs(values: dict[str, np.ndarray], count: int, torch_ok: bool) -> dict[str, Any]:
    """The whole `bprop eval ... --values big.json --json` process, and a PyTorch script that
    reads the same file, runs the same network and writes its loss and gradients as JSON."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.json"
        big.write_text(json.dumps({k: a.tolist() for k, a in values.items()}))
        out["values_file_mb"] = big.stat().st_size / 1e6
        script = Path(tmp) / "torch_mlp.py"
        script.write_text(TORCH_SCRIPT)
        commands = {"bprop eval --json": [sys.executable, "-m", "bprop_cli", "eval", MLP, "--values", str(big), "--json"],
                    "bprop eval (text)": [sys.executable, "-m", "bprop_cli", "eval", MLP, "--values", str(big)]}
        if torch_ok:
            commands["torch script"] = [sys.executable, str(script), str(big)]
        sizes: dict[str, int] = {}
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for r in range(count + 1):  # the first round warms the file cache and is dropped
            for name, cmd in commands.items():
                start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
                done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                took = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if done.returncode != 0:
                    sys.exit(f"bench/arrays.py: {name} failed: {done.stderr.decode(errors='replace')[-400:]}")
                sizes[name] = len(done.stdout)
                if r:
                    times[name].append(took)
                    cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        out["times"] = times
        out["cpu"] = cpu
        out["output_mb"] = {name: n / 1e6 for name, n in sizes.items()}
    return out


TORCH_SCRIPT = """\
import json, sys
import torch
v = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in json.load(open(sys.argv[1])).items()}
h = torch.relu(v["X"] @ v["W1"] + v["b1"])
s = h @ v["W2"] + v["b2"]
loss = -torch.sum(v["t"] * torch.log(torch.softmax(s, dim=1))) / v["X"].shape[0]
loss.backward()
json.dump({"value": loss.item(), "gradients": {k: a.grad.tolist() for k, a in v.items()}}, sys.stdout)
"""


def machine_note() -> dict[str, Any]:
    import numpy

    note: dict[str, Any] = {
        "python": platform.python_version(), "numpy": numpy.__version__, "cpus": os.cpu_count(),
        "machine": platform.machine(), "processor": _cpu_name(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "slow_blas_env": {k: os.environ[k] for k in SLOW_BLAS if k in os.environ},
        "threads_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS") if k in os.environ},
    }
    if _have("torch"):
        import torch

        note["torch"] = torch.__version__
        note["torch_threads"] = torch.get_num_threads()
    return note


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


# -- the report --------------------------------------------------------------------------------


def bench_mlp(count: int, torch_ok: bool) -> dict[str, Any]:
    v = mlp_values()
    made = {"bprop run()": bprop_run(MLP, v), "bprop passes": bprop_passes(MLP, v), "numpy by hand": numpy_mlp(v)}
    if torch_ok:
        made["torch (params)"] = torch_mlp(v, every_input=False)
        made["torch (every input)"] = torch_mlp(v, every_input=True)
    reference = made["bprop run()"][1]()
    for name, (_, check) in made.items():
        agree(name, reference, check())
    times, cpu = rounds({name: step for name, (step, _) in made.items()}, count, {})
    return {"times": times, "cpu": cpu, "loss": reference[0]}


def bench_small(count: int, torch_ok: bool, micrograd_ok: bool) -> dict[str, Any]:
    v = small_values()
    made = {"bprop run()": bprop_run(SMALL, v), "bprop passes": bprop_passes(SMALL, v)}
    if micrograd_ok:
        made["micrograd"] = micrograd_small(v)
    if torch_ok:
        made["torch"] = torch_small(v)
    reference = made["bprop run()"][1]()
    for name, (_, check) in made.items():
        agree(name, reference, check())
    reps = {"bprop run()": 20, "bprop passes": 20, "torch": 20}
    times, cpu = rounds({name: step for name, (step, _) in made.items()}, count, reps)
    return {"times": times, "cpu": cpu, "loss": reference[0]}


def table(title: str, result: dict[str, Any], base: str) -> None:
    times, cpu = result["times"], result["cpu"]
    print(f"\n{title}")
    print(f"  {'wall time':22} {'median':>12} {'min':>12}   / {base}   {'CPU median':>12}   / {base}")
    for name, ts in times.items():
        print(f"  {name:22} {ms(statistics.median(ts))} {ms(min(ts))}   {ratio(times, name, base):7.2f}x"
              f"   {ms(statistics.median(cpu[name]))}   {ratio(cpu, name, base):7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="bprop's array engine against PyTorch, NumPy and micrograd")
    parser.add_argument("--quick", action="store_true", help="3 rounds and 2 process runs")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 9)")
    parser.add_argument("--process-runs", type=int, default=None, help="runs of each whole process (default 5)")
    parser.add_argument("--threads", type=int, help="BLAS and PyTorch threads (re-runs itself with "
                        "OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set; steadier on a busy machine)")
    parser.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")
    args = parser.parse_args()
    if args.threads and os.environ.get("OMP_NUM_THREADS") != str(args.threads):
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "OPENBLAS_NUM_THREADS": str(args.threads)}
        os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]], env)
    count = args.rounds or (3 if args.quick else 9)
    process_count = args.process_runs or (2 if args.quick else 5)
    torch_ok, micrograd_ok = _have("torch"), _have("micrograd")
    note = machine_note()
    print(f"python {note['python']}, numpy {note['numpy']}, torch {note.get('torch', '-')} "
          f"({note.get('torch_threads', '-')} threads), {note['cpus']} CPUs: {note['processor']}")
    print(f"load average before: {', '.join(f'{x:.2f}' for x in note['load_average'] or ())}; "
          f"{' '.join(f'{k}={v}' for k, v in note['threads_env'].items()) or 'default threads'}")
    if note["slow_blas_env"]:
        print(f"warning: {', '.join(note['slow_blas_env'])} set; they can slow NumPy: "
              f"env -u {' -u '.join(SLOW_BLAS)} python bench/arrays.py")
    if not torch_ok or not micrograd_ok:
        print("torch or micrograd is not installed: pip install -e '.[bench]'")

    result: dict[str, Any] = {"machine": note, "rounds": count}
    mlp = bench_mlp(count, torch_ok)
    table(f"784-128-10 relu MLP, batch 64, float64, forward + backward ({count} rounds)", mlp, "bprop run()")
    result["mlp"] = mlp
    verdicts = []
    if torch_ok:
        r_params = ratio(mlp["times"], "bprop run()", "torch (params)")
        r_every = ratio(mlp["times"], "bprop run()", "torch (every input)")
        best = min(mlp["times"]["bprop run()"]) / min(mlp["times"]["torch (every input)"])
        r_cpu = ratio(mlp["cpu"], "bprop run()", "torch (every input)")
        result["mlp_ratios"] = {"bprop/torch(params)": r_params, "bprop/torch(every input)": r_every,
                                "bprop/torch(every input), fastest runs": best,
                                "bprop/torch(every input), CPU time": r_cpu,
                                "bprop/numpy": ratio(mlp["times"], "bprop run()", "numpy by hand")}
        verdicts.append(f"bprop run() / PyTorch: {r_every:.2f}x (same gradients), {r_params:.2f}x (parameters only), "
                        f"{best:.2f}x fastest against fastest, {r_cpu:.2f}x in CPU time; "
                        f"target <= 2x: {'met' if max(r_every, r_params) <= 2 else 'MISSED'}")

    proc = process_runs(mlp_values(), process_count, torch_ok)
    result["process"] = proc
    print(f"\nwhole process, {proc['values_file_mb']:.1f} MB of values ({process_count} runs)")
    for name, ts in proc["times"].items():
        print(f"  {name:22} wall {ms(statistics.median(ts))} median, {ms(min(ts))} min; "
              f"CPU {ms(statistics.median(proc['cpu'][name]))} median; {proc['output_mb'][name]:.1f} MB written")

    small = bench_small(count, torch_ok, micrograd_ok)
    table(f"2-16-16-1 relu MLP, 100 points, mean squared error, forward + backward ({count} rounds)",
          small, "bprop run()")
    result["small"] = small
    if micrograd_ok:
        speedup = ratio(small["times"], "micrograd", "bprop run()")
        result["small_ratios"] = {"micrograd/bprop": speedup}
        verdicts.append(f"micrograd / bprop run(): {speedup:.0f}x; target >= 50x: {'met' if speedup >= 50 else 'MISSED'}")
    print()
    for line in verdicts:
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=list))


if __name__ == "__main__":
    main()
