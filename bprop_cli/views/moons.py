"""The moons example's own view: training accuracy and a terminal picture of the decision
boundary (the sign of the network's score over a grid), with the data points on top. It only
draws what train_examples.boundary computed."""

from __future__ import annotations

from typing import Any


def moons_view(picture: Any) -> str:
    """'.' where the network says -1, ':' where it says +1; 'o' and '#' are the points of each moon."""
    width, height = picture.width, picture.height
    grid = [":" if s > 0 else "." for s in picture.scores]
    for (c, r), label in zip(picture.cells, picture.labels):
        grid[r * width + c] = "#" if label > 0 else "o"
    drawing = "\n".join("".join(grid[r * width:(r + 1) * width]) for r in range(height))
    n = len(picture.labels)
    return (f"training accuracy: {picture.accuracy:.0%} ({round(picture.accuracy * n)} of {n} points)\n"
            "decision boundary: ':' where the network says +1, '.' where it says -1\n"
            "points: '#' labelled +1, 'o' labelled -1\n" + drawing)
