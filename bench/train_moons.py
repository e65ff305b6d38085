"""Benchmark: `bprop train --example moons` against micrograd's own demo loop, on the same
network (2-16-16-1, relu), the same 100 two-moons points, the same initial weights, the same
loss (SVM hinge + 1e-4 L2) and the same 100 SGD steps at 1.0 - 0.9*k/100.

    python bench/train_moons.py              # the whole run (micrograd takes a minute or more)
    python bench/train_moons.py --steps 10   # a shorter run, both sides

micrograd is optional (`pip install micrograd`). bprop is timed end to end, as a user runs it
(a fresh `python -m bprop_cli train --example moons --json` process, start-up included), and
its training loop alone in this process; micrograd's loop runs in this process. Both runs'
losses are compared step by step, as a check that they computed the same thing.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def micrograd_loop(steps: int) -> tuple[float, list[float], float]:
    """micrograd's demo.ipynb training loop, on bprop's data; (seconds, losses, accuracy)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    from bprop_cli.training.runs import two_moons

    rows = two_moons()
    random.seed(1337)  # micrograd's Neuron draws random.uniform(-1, 1); bprop's init draws the same
    model = MLP(2, [16, 16, 1])
    xs = [[r["x1"], r["x2"]] for r in rows]
    ys = [r["y"] for r in rows]

    def loss():  # type: ignore[no-untyped-def]
        inputs = [list(map(Value, x)) for x in xs]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        accuracy = [(yi > 0) == (si.data > 0) for yi, si in zip(ys, scores)]
        return data_loss + reg_loss, sum(accuracy) / len(accuracy)

    start = time.perf_counter()
    losses = []
    for k in range(steps):
        total, _ = loss()
        losses.append(total.data)
        model.zero_grad()
        total.backward()
        rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= rate * p.grad
    total, acc = loss()
    losses.append(total.data)
    return time.perf_counter() - start, losses, acc


def bprop_process(steps: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bprop_cli", "train", "--example", "moons", "--steps", str(steps),
                          "--json"], capture_output=True, text=True, cwd=ROOT, check=True)
    return time.perf_counter() - start, json.loads(out.stdout)["losses"]


def bprop_loop(steps: int) -> float:
    from bprop_cli.training import optim
    from bprop_cli.training.loop import Problem, train
    from bprop_cli.training.runs import train_example

    ex = train_example("moons")
    problem = Problem(ex.program, ex.values, ex.params, ex.rows())
    start = time.perf_counter()
    train(problem, optim.make("sgd"), optim.linear(1.0, 0.1), steps)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    whole, ours = bprop_process(args.steps)
    loop = min(bprop_loop(args.steps) for _ in range(3))
    print(f"bprop train --example moons, {args.steps} steps: {whole:.2f} s end to end "
          f"(fresh process), training loop alone {loop:.2f} s (best of 3)")
    try:
        import micrograd  # noqa: F401
    except ImportError:
        print("micrograd is not installed (pip install micrograd): no comparison")
        return
    seconds, theirs, acc = micrograd_loop(args.steps)
    print(f"micrograd's demo loop, {args.steps} steps: {seconds:.2f} s (final accuracy {acc:.0%})")
    worst = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ours, theirs))
    print(f"same losses step by step: largest relative difference {worst:.1e}")
    ratio = seconds / whole
    print(f"speed-up: {ratio:.1f}x end to end, {seconds / loop:.1f}x loop to loop "
          f"(target: at least 20x) -> {'met' if ratio >= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
