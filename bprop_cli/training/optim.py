"""Optimizers: PyTorch's update equations and default hyper-parameters (torch.optim), written
with + - * / and a square root only, so a parameter may be a float or a numpy array.

Each optimizer keeps its state per parameter name and returns, with the new value, what it
did (its state and the step it took), for the views to show. Computation only.

    sgd       p <- p - lr*g                                              (lr default 1e-3)
    momentum  b <- g at step 1, then mu*b + g;  p <- p - lr*b             (mu 0.9, lr 1e-3)
    rmsprop   v <- alpha*v + (1-alpha)*g^2;  p <- p - lr*g/(sqrt(v)+eps)  (alpha 0.99, eps 1e-8, lr 1e-2)
    adam      m <- b1*m + (1-b1)*g;  v <- b2*v + (1-b2)*g^2;
              p <- p - (lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps)  (b1 0.9, b2 0.999, eps 1e-8, lr 1e-3)

(PyTorch's SGD takes momentum 0 by default; `momentum` is SGD with momentum 0.9, its common
setting. Dampening, Nesterov, weight decay and AMSGrad are PyTorch's defaults: off.)
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

Value = Any  # a float, or a numpy array of any shape


def sqrt(x: Value) -> Value:
    """math.sqrt for a number, numpy.sqrt for an array (numpy is imported only for arrays)."""
    if isinstance(x, (int, float)):
        return math.sqrt(x)
    import numpy

    return numpy.sqrt(x)


class Update(NamedTuple):
    value: Value  # the parameter's new value
    step: Value  # new value - old value (for SGD: -lr * grad)
    state: dict[str, Value]  # the optimizer's state for this parameter after the update


class Optimizer:
    name = ""
    lr = 1e-3  # PyTorch's default learning rate
    hyper: dict[str, float] = {}
    equation = ""

    def __init__(self, **hyper: float) -> None:
        unknown = set(hyper) - set(self.hyper)
        if unknown:
            raise TypeError(f"{self.name} takes no {', '.join(sorted(unknown))}")
        self.h = {**self.hyper, **hyper}
        self.t = 0  # steps taken
        self.state: dict[str, dict[str, Value]] = {}

    def begin_step(self) -> None:
        self.t += 1

    def update(self, name: str, p: Value, g: Value, lr: float) -> Update:
        raise NotImplementedError


class SGD(Optimizer):
    name = "sgd"
    equation = "p <- p - lr*g"

    def update(self, name: str, p: Value, g: Value, lr: float) -> Update:
        step = -lr * g
        return Update(p + step, step, {})


class Momentum(Optimizer):
    name = "momentum"
    hyper = {"momentum": 0.9}
    equation = "b <- g (step 1), mu*b + g (later);  p <- p - lr*b"

    def update(self, name: str, p: Value, g: Value, lr: float) -> Update:
        state = self.state.setdefault(name, {})
        b = g if "buffer" not in state else self.h["momentum"] * state["buffer"] + g
        state["buffer"] = b
        step = -lr * b
        return Update(p + step, step, dict(state))


class RMSprop(Optimizer):
    name = "rmsprop"
    lr = 1e-2
    hyper = {"alpha": 0.99, "eps": 1e-8}
    equation = "v <- alpha*v + (1-alpha)*g^2;  p <- p - lr*g/(sqrt(v) + eps)"

    def update(self, name: str, p: Value, g: Value, lr: float) -> Update:
        state = self.state.setdefault(name, {"square_avg": 0.0 * g})
        alpha = self.h["alpha"]
        v = alpha * state["square_avg"] + (1 - alpha) * (g * g)
        state["square_avg"] = v
        step = -lr * g / (sqrt(v) + self.h["eps"])
        return Update(p + step, step, dict(state))


class Adam(Optimizer):
    name = "adam"
    hyper = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    equation = ("m <- b1*m + (1-b1)*g;  v <- b2*v + (1-b2)*g^2;  "
                "p <- p - lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)")

    def update(self, name: str, p: Value, g: Value, lr: float) -> Update:
        state = self.state.setdefault(name, {"m": 0.0 * g, "v": 0.0 * g})
        b1, b2, eps, t = self.h["beta1"], self.h["beta2"], self.h["eps"], self.t
        m = b1 * state["m"] + (1 - b1) * g
        v = b2 * state["v"] + (1 - b2) * (g * g)
        state["m"], state["v"] = m, v
        correction1 = 1 - b1**t
        correction2 = 1 - b2**t
        # as torch.optim.Adam arranges it: step size lr/(1-b1^t), denominator sqrt(v)/sqrt(1-b2^t) + eps
        step = -(lr / correction1) * m / (sqrt(v) / math.sqrt(correction2) + eps)
        return Update(p + step, step, {**state, "m_hat": m / correction1, "v_hat": v / correction2})


OPTIMIZERS: dict[str, type[Optimizer]] = {o.name: o for o in (SGD, Momentum, Adam, RMSprop)}


def make(name: str, **hyper: float) -> Optimizer:
    return OPTIMIZERS[name](**{k: v for k, v in hyper.items() if v is not None and k in OPTIMIZERS[name].hyper})


def constant(lr: float) -> Callable[[int, int], float]:
    return lambda k, steps: lr


def linear(lr: float, end: float) -> Callable[[int, int], float]:
    """The rate at step k (0-based) of `steps`: from lr at k = 0 towards `end` at k = steps, in a
    straight line; the micrograd lecture's moons demo uses 1.0 - 0.9*k/100 (lr 1, end 0.1, 100 steps)."""
    return lambda k, steps: lr - (lr - end) * k / steps
