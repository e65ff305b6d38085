"""Benchmark: the training loop's passes over rows of data, two ways.

    python bench/data_passes.py              # 64, 4,096 and 65,536 rows, best of 5 x 20 calls

`train --data` evaluates the loss on every row of a mini-batch at once. engine/columns.py does
it with the program's scalar graph, each data input a numpy column and each parameter a number,
and sums a parameter's gradient over the rows. The array engine (engine/arrays.py) can do the
same job: the data inputs as vectors, the seed a vector of ones. This measures both, on Cardete's
perceptron (5 parameters, 4 inputs and a target per row), and checks that they give the same
gradients. The figures are in docs/performance-arrays.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bprop_cli.engine import arrays, columns
from bprop_cli.engine.graph import compile_program

PROGRAM = (Path(__file__).resolve().parent.parent / "bprop_cli" / "examples" / "perceptron_mse.bp").read_text()
PARAMS = {"w1": 0.1, "w2": -0.2, "w3": 0.3, "w4": 0.4, "b": 0.1}


def best(call, runs: int = 5, calls: int = 20) -> float:  # type: ignore[no-untyped-def]
    """The best mean time of one call, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        times.append((time.perf_counter() - started) / calls)
    return min(times)


def main() -> None:
    graph = compile_program(PROGRAM)
    rng = np.random.default_rng(0)
    print(f"{'rows':>7}  {'columns.py':>11}  {'array engine':>12}  {'ratio':>6}  max |difference|")
    for n in (64, 4096, 65536):
        values = {**{f"x{i}": rng.normal(size=n) for i in range(1, 5)},
                  "y": rng.integers(0, 2, n).astype(float), **PARAMS}
        by_columns = columns.passes(graph, values, list(PARAMS), n)[1]
        by_arrays = arrays.run_arrays(graph, values, np.ones(n)).gradients
        assert by_columns is not None
        difference = max(abs(by_columns[p] - by_arrays[p]) for p in PARAMS)
        t_columns = best(lambda: columns.passes(graph, values, list(PARAMS), n))
        t_arrays = best(lambda: arrays.run_arrays(graph, values, np.ones(n)))
        print(f"{n:>7}  {t_columns * 1e3:>8.3f} ms  {t_arrays * 1e3:>9.3f} ms  {t_arrays / t_columns:>6.2f}  {difference:.1e}")


if __name__ == "__main__":
    main()
