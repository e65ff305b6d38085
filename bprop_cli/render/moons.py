"""The moons example's own view: training accuracy and a terminal picture of the decision
boundary (the sign of the network's score over a grid), with the data points on top."""

from __future__ import annotations

from typing import Any, Mapping

from ..engine import forward


def scores(problem: Any, params: Mapping[str, float], points: list[tuple[float, float]]) -> list[float]:
    """The network's score (node `score`) at each point (x1, x2)."""
    graph = problem.graph
    index = graph.ids.index("score")
    base = {**problem.fixed, **params, "y": 1.0}
    return [forward(graph, {**base, "x1": x1, "x2": x2})[index] for x1, x2 in points]


def accuracy(problem: Any, params: Mapping[str, float]) -> float:
    rows = problem.rows
    got = scores(problem, params, [(r["x1"], r["x2"]) for r in rows])
    return sum((s > 0) == (r["y"] > 0) for s, r in zip(got, rows)) / len(rows)


def moons_view(problem: Any, params: Mapping[str, float], width: int = 60, height: int = 22) -> str:
    """'.' where the network says -1, ':' where it says +1; 'o' and '#' are the points of each moon."""
    rows = problem.rows
    xs = [r["x1"] for r in rows]
    ys = [r["x2"] for r in rows]
    x0, x1 = min(xs) - 0.3, max(xs) + 0.3
    y0, y1 = min(ys) - 0.3, max(ys) + 0.3
    cells = [(x0 + (x1 - x0) * (c + 0.5) / width, y1 - (y1 - y0) * (r + 0.5) / height)
             for r in range(height) for c in range(width)]
    grid = [":" if s > 0 else "." for s in scores(problem, params, cells)]
    for row in rows:
        c = min(width - 1, int((row["x1"] - x0) / (x1 - x0) * width))
        r = min(height - 1, int((y1 - row["x2"]) / (y1 - y0) * height))
        grid[r * width + c] = "#" if row["y"] > 0 else "o"
    picture = "\n".join("".join(grid[r * width:(r + 1) * width]) for r in range(height))
    acc = accuracy(problem, params)
    return (f"training accuracy: {acc:.0%} ({round(acc * len(rows))} of {len(rows)} points)\n"
            "decision boundary: ':' where the network says +1, '.' where it says -1\n"
            "points: '#' labelled +1, 'o' labelled -1\n"
            + picture)
