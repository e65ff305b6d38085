"""Benchmark: one program over many rows (`bprop eval PROGRAM --batch FILE`) against its peers.

    python bench/batch.py                 # 10^5 rows of each program, 3 interleaved runs
    python bench/batch.py --rows 1e4 --repeat 1

Two programs: the sigmoid neuron of the CS231n notes (5 inputs) and a perceptron with one
sigmoid output and a squared-error loss (5 weights, 5 inputs, a bias and a target). Every tool
does the whole job in a fresh process, as bprop does: read the CSV file, compute the output and
its gradient with respect to every input at every row, and write one CSV line per row with
every number at full precision (repr). Times are CPU time (user + system) of that process,
peak memory its maximum resident set. The peers:

* micrograd: a loop over the rows, building each row's graph and calling backward() (the way
  the micrograd lecture evaluates many points; micrograd has no exp, so the lecture's is added);
* PyTorch, vectorised: each input a float64 tensor of all rows, one backward() of the sum
  (rows are independent, so its gradient is every row's gradient);
* sympy.lambdify: the gradients derived symbolically once, then numpy functions of the columns;
* JAX (if installed): jax.vmap of jax.grad, float64, jit-compiled;
* numpy by hand: the forward and backward passes written out over numpy columns.

bprop's per-row engine (the one a batch from a pipe still uses) is measured too, as `bprop
(row by row)`. The optional peers are skipped when they are not installed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable

# name -> (bprop program, input names, expression over those names in Python syntax with
# exp() and sigmoid(), for the peers)
PROGRAMS = {
    "sigmoid neuron": (
        "z = w0*x0 + w1*x1 + w2\nf = 1 / (1 + exp(-z))\n",
        ["w0", "x0", "w1", "x1", "w2"],
        "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
    ),
    "perceptron + MSE": (
        "z = w1*x1 + w2*x2 + w3*x3 + w4*x4 + w5*x5 + b\nyhat = sigmoid(z)\nL = 0.5 * (yhat - y)^2\n",
        ["w1", "x1", "w2", "x2", "w3", "x3", "w4", "x4", "w5", "x5", "b", "y"],
        "0.5 * (sigmoid(w1*x1 + w2*x2 + w3*x3 + w4*x4 + w5*x5 + b) - y)**2",
    ),
}


def make_rows(path: Path, names: list[str], rows: int) -> None:
    rng = random.Random(17)
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for _ in range(rows):
            f.write(",".join(repr(round(rng.uniform(-2, 2), 6)) for _ in names) + "\n")


# -- the peers: each runs as `python bench/batch.py --worker PEER PROGRAM CSV` -------------------
def _read(path: str) -> tuple[list[str], list[list[float]]]:
    import csv

    with open(path, newline="") as f:
        reader = csv.reader(f)
        names = next(reader)
        return names, [[float(c) for c in row] for row in reader]


def _write_rows(inputs, values, grads) -> None:  # type: ignore[no-untyped-def]
    """row number, inputs, value, gradients: one CSV line per row, floats as repr."""
    with open(os.devnull, "w") as out:
        out.write("\n".join(",".join([str(k + 1), *map(repr, xs), repr(v), *map(repr, gs)])
                            for k, (xs, v, gs) in enumerate(zip(inputs, values, grads))) + "\n")


def peer_micrograd(program: str, path: str) -> None:
    import math

    from micrograd.engine import Value

    def exp(v):  # type: ignore[no-untyped-def]  # as in the micrograd lecture
        out = Value(math.exp(v.data), (v,), "exp")

        def _backward() -> None:
            v.grad += out.data * out.grad
        out._backward = _backward
        return out

    def sigmoid(v):  # type: ignore[no-untyped-def]
        return 1 / (1 + exp(-v))

    names, rows = _read(path)
    code = compile(PROGRAMS[program][2], "<program>", "eval")
    values, grads = [], []
    for row in rows:
        xs = {n: Value(x) for n, x in zip(names, row)}
        out = eval(code, {"exp": exp, "sigmoid": sigmoid}, xs)  # the bench's own expression
        out.backward()
        values.append(out.data)
        grads.append([xs[n].grad for n in names])
    _write_rows(rows, values, grads)


def peer_torch(program: str, path: str) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    names = open(path).readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    xs = {n: torch.tensor(data[:, k], dtype=torch.float64, requires_grad=True) for k, n in enumerate(names)}
    out = eval(PROGRAMS[program][2], {"exp": torch.exp, "sigmoid": torch.sigmoid}, xs)
    out.sum().backward()
    grads = np.stack([xs[n].grad.numpy() for n in names], axis=1)
    _write_rows(data.tolist(), out.detach().numpy().tolist(), grads.tolist())


def peer_sympy(program: str, path: str) -> None:
    import numpy as np
    import sympy

    names = open(path).readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    symbols = sympy.symbols(names)
    scope = {"exp": sympy.exp, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)), **dict(zip(names, symbols))}
    expr = eval(PROGRAMS[program][2], scope)
    fn = sympy.lambdify(symbols, [expr, *(sympy.diff(expr, s) for s in symbols)], "numpy")
    columns = [data[:, k] for k in range(len(names))]
    value, *grads = [np.broadcast_to(c, data[:, 0].shape) for c in fn(*columns)]
    _write_rows(data.tolist(), value.tolist(), np.stack(grads, axis=1).tolist())


def peer_jax(program: str, path: str) -> None:
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    names = open(path).readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    code = compile(PROGRAMS[program][2], "<program>", "eval")

    def f(row):  # type: ignore[no-untyped-def]
        return eval(code, {"exp": jnp.exp, "sigmoid": jax.nn.sigmoid}, dict(zip(names, row)))

    both = jax.jit(jax.vmap(jax.value_and_grad(f)))
    value, grads = both(jnp.asarray(data))
    _write_rows(data.tolist(), np.asarray(value).tolist(), np.asarray(grads).tolist())


def peer_numpy(program: str, path: str) -> None:
    """Both passes written out by hand over the columns (what the chain rule gives)."""
    import numpy as np

    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    c = data.T
    if program == "sigmoid neuron":
        w0, x0, w1, x1, w2 = c
        f = 1 / (1 + np.exp(-(w0 * x0 + w1 * x1 + w2)))
        dz = f * (1 - f)
        grads = [dz * x0, dz * w0, dz * x1, dz * w1, dz]
        value = f
    else:
        w, x, b, y = c[0:10:2], c[1:10:2], c[10], c[11]
        z = (w * x).sum(axis=0) + b
        yhat = 1 / (1 + np.exp(-z))
        value = 0.5 * (yhat - y) ** 2
        dz = (yhat - y) * yhat * (1 - yhat)
        grads = [g for k in range(5) for g in (dz * x[k], dz * w[k])] + [dz, -(yhat - y)]
    _write_rows(data.tolist(), value.tolist(), np.stack(grads, axis=1).tolist())


PEERS = {"micrograd": ("micrograd", peer_micrograd), "torch": ("torch", peer_torch),
         "sympy.lambdify": ("sympy", peer_sympy), "jax": ("jax", peer_jax), "numpy by hand": ("numpy", peer_numpy)}


def _have(module: str) -> bool:
    return subprocess.run([PY, "-c", f"import {module}"], capture_output=True, cwd=tempfile.gettempdir()).returncode == 0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        PEERS[sys.argv[2]][1](sys.argv[3], sys.argv[4])
        return
    sys.path.insert(0, str(HERE))
    from run import WORKDIR, bprop_command, installed_bprop, run_measured  # (not in the workers)

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=1e5, help="rows per program (default 1e5)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs, median reported (default 3)")
    ap.add_argument("--no-row-by-row", action="store_true", help="skip bprop's per-row engine (slow)")
    args = ap.parse_args()
    rows = int(args.rows)
    where = installed_bprop()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs; bprop {where['version']} from {where['path']}")
    peers = {name: module for name, (module, _) in PEERS.items() if _have(module)}
    print("peers: " + ", ".join(peers) + (" (missing: " + ", ".join(set(PEERS) - set(peers)) + ")"
                                          if set(PEERS) - set(peers) else ""))
    for program, (source, names, _) in PROGRAMS.items():
        data = Path(WORKDIR, "rows.csv")
        make_rows(data, names, rows)
        small = Path(WORKDIR, "small.csv")
        make_rows(small, names, max(1, rows // 10))
        prog = Path(WORKDIR, "program.bp")
        prog.write_text(source)
        bprop = [*bprop_command(), "eval", "-f", str(prog), "--batch"]
        tools: dict[str, list[str]] = {"bprop": [*bprop, str(data)]}
        if not args.no_row_by_row:  # a pipe: the row-by-row engine
            tools["bprop (row by row)"] = ["sh", "-c", f"cat {data} | {' '.join(bprop)} -"]
        tools[f"bprop, {rows // 10:,} rows"] = [*bprop, str(small)]
        tools.update({name: [PY, __file__, "--worker", name, program, str(data)] for name in peers})
        cpu: dict[str, list[float]] = {t: [] for t in tools}
        rss: dict[str, list[float]] = {t: [] for t in tools}
        for _ in range(args.repeat):
            for name, cmd in tools.items():
                _, c, peak, status = run_measured(cmd)
                assert status == 0, (program, name)
                cpu[name].append(c)
                rss[name].append(peak)
        nodes = subprocess.run([*bprop_command(), "eval", "-f", str(prog), *(f"{n}=0.5" for n in names),
                                "--format", "csv"], capture_output=True, text=True).stdout.count("\n") - 1
        print(f"\n{program} ({nodes} nodes), {rows:,} rows: whole process, CPU s (median of {args.repeat}),"
              " peak RSS MB, and the peer's time / bprop's (above 1: bprop is faster)")
        base = statistics.median(cpu["bprop"])
        for name in tools:
            c, m = statistics.median(cpu[name]), statistics.median(rss[name])
            print(f"{name:24} {c:8.2f} s {m / 1e6:8.0f} MB {c / base:8.2f}")
        verdict = [f"{name} {statistics.median(cpu[name]) / base:.2f}" for name in peers]
        print(f"{program}: peer / bprop: " + ", ".join(verdict))


if __name__ == "__main__":
    main()
