#!/usr/bin/env python3
"""Writes the golden optimizer trajectories in tests/golden/ with torch.optim.

Run by hand with Debian's python3-torch (PyTorch 1.13):

    python3 tests/golden/generate.py

The C test tests/test_optim_golden.c replays each case with the plugin of
the same label and compares the parameters after every step.  CI never runs
this script; the .golden files it writes are committed.

Two problems, 50 steps each:
  quadratic  f(p) = sum(a*p^2/2 + b*p) on 10 parameters, curvatures a over
             two decades; the gradient a*p + b is computed in float32.
  mlp        Linear(6,5) - tanh - Linear(5,3) with softmax cross-entropy, fixed
             initial weights, 32 fixed rows taken in batches of 8 in order.

Every case with a weight decay runs once more on the mlp with its biases
left out of the decay ([search] decay = weights): CASE_decay_weights.mlp.
"""
import math
import os
import sys

import numpy as np
import torch

import reference as R

STEPS = 50
OUT = os.path.dirname(os.path.abspath(__file__))

# (case, label, torch class, torch kwargs, plugin hyperparameters, lr on the
#  quadratic, lr on the mlp).  Every option is exercised at least once.
#
# The rates keep trajectories off regimes that amplify rounding: a float32
# replay differs from torch by an ulp here and there (fused multiply-adds,
# another sgemm), and where a sign-normalised update sits at an optimum, that
# ulp decides the sign of a step of size lr.  Measured: adamax_options at
# lr 0.1 on the quadratic matched torch to 0.5x tolerance for 30 steps, then
# drifted to 16x by step 50; rmsprop_momentum at lr 0.01 on the mlp reached 5x
# by step 39 while its quadratic twin stays at 0.12x.  Muon's orthogonalised
# steps keep their size near an optimum: on the mlp at lr 0.02 and 0.01 even
# the NumPy reference in float32 and in float64 differ by 1.5x tolerance at
# step 50; at 0.005 by 0.33x, so that is the rate its test uses.
O = torch.optim
CASES = [
    ("sgd", "sgd", O.SGD, {}, {}, 0.05, 0.1),
    ("sgd_momentum", "sgd", O.SGD, {"momentum": 0.9}, {"momentum": 0.9}, 0.05, 0.1),
    ("sgd_dampening", "sgd", O.SGD, {"momentum": 0.9, "dampening": 0.5},
     {"momentum": 0.9, "dampening": 0.5}, 0.05, 0.1),
    ("sgd_nesterov", "sgd", O.SGD, {"momentum": 0.9, "nesterov": True},
     {"momentum": 0.9, "nesterov": 1}, 0.05, 0.1),
    ("sgd_weight_decay", "sgd", O.SGD, {"momentum": 0.5, "weight_decay": 0.1},
     {"momentum": 0.5, "weight_decay": 0.1}, 0.05, 0.1),
    ("adam", "adam", O.Adam, {}, {}, 0.1, 0.01),
    ("adam_amsgrad", "adam", O.Adam, {"amsgrad": True}, {"amsgrad": 1}, 0.1, 0.01),
    ("adam_weight_decay", "adam", O.Adam, {"weight_decay": 0.1}, {"weight_decay": 0.1},
     0.1, 0.01),
    ("adam_betas", "adam", O.Adam, {"betas": (0.8, 0.99), "eps": 1e-6},
     {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}, 0.1, 0.01),
    ("adamw", "adamw", O.AdamW, {}, {}, 0.1, 0.01),
    ("adamw_amsgrad", "adamw", O.AdamW, {"amsgrad": True, "weight_decay": 0.1},
     {"amsgrad": 1, "weight_decay": 0.1}, 0.1, 0.01),
    ("adamax", "adamax", O.Adamax, {}, {}, 0.1, 0.02),
    ("adamax_options", "adamax", O.Adamax, {"betas": (0.8, 0.9), "weight_decay": 0.1},
     {"beta1": 0.8, "beta2": 0.9, "weight_decay": 0.1}, 0.03, 0.02),
    ("nadam", "nadam", O.NAdam, {}, {}, 0.1, 0.02),
    ("nadam_options", "nadam", O.NAdam, {"momentum_decay": 0.01, "weight_decay": 0.1},
     {"momentum_decay": 0.01, "weight_decay": 0.1}, 0.1, 0.02),
    ("radam", "radam", O.RAdam, {}, {}, 0.1, 0.01),
    ("radam_options", "radam", O.RAdam, {"betas": (0.9, 0.9), "weight_decay": 0.1},
     {"beta2": 0.9, "weight_decay": 0.1}, 0.1, 0.01),
    ("rmsprop", "rmsprop", O.RMSprop, {}, {}, 0.01, 0.01),
    ("rmsprop_centered", "rmsprop", O.RMSprop, {"centered": True}, {"centered": 1},
     0.01, 0.01),
    ("rmsprop_momentum", "rmsprop", O.RMSprop, {"momentum": 0.9}, {"momentum": 0.9},
     0.01, 0.003),
    ("rmsprop_all", "rmsprop", O.RMSprop,
     {"alpha": 0.9, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
     {"alpha": 0.9, "centered": 1, "momentum": 0.5, "weight_decay": 0.1}, 0.01, 0.01),
    ("adagrad", "adagrad", O.Adagrad, {}, {}, 0.1, 0.1),
    ("adagrad_options", "adagrad", O.Adagrad,
     {"lr_decay": 0.05, "initial_accumulator_value": 0.1, "weight_decay": 0.1},
     {"lr_decay": 0.05, "initial_accumulator_value": 0.1, "weight_decay": 0.1}, 0.1, 0.1),
    ("adadelta", "adadelta", O.Adadelta, {}, {}, 1.0, 1.0),
    ("adadelta_options", "adadelta", O.Adadelta, {"rho": 0.5, "eps": 1e-4, "weight_decay": 0.1},
     {"rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}, 1.0, 1.0),
    ("asgd", "asgd", O.ASGD, {}, {}, 0.05, 0.1),
    ("asgd_options", "asgd", O.ASGD,
     {"lambd": 0.01, "alpha": 0.5, "t0": 10, "weight_decay": 0.1},
     {"lambd": 0.01, "alpha": 0.5, "t0": 10, "weight_decay": 0.1}, 0.05, 0.1),
    ("rprop", "rprop", O.Rprop, {}, {}, 0.01, 0.01),
    ("rprop_options", "rprop", O.Rprop, {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)},
     {"etaminus": 0.3, "etaplus": 1.5, "step_size_min": 1e-3, "step_size_max": 0.2},
     0.01, 0.01),
]

# Optimizers beyond PyTorch 1.13: NumPy references from the papers
# (tests/golden/reference.py).  (case, label, class, hyperparameters, lr on the
# quadratic, lr on the mlp).
REF_CASES = [
    ("lion", "lion", R.Lion, {}, 0.01, 0.001),
    ("lion_options", "lion", R.Lion, {"beta1": 0.8, "beta2": 0.9, "weight_decay": 0.5},
     0.01, 0.001),
    ("adabelief", "adabelief", R.AdaBelief, {}, 0.1, 0.01),
    ("adabelief_plain", "adabelief", R.AdaBelief,
     {"rectify": 0, "weight_decouple": 0, "weight_decay": 0.1, "eps": 1e-8}, 0.1, 0.01),
    ("adabelief_amsgrad", "adabelief", R.AdaBelief,
     {"rectify": 0, "amsgrad": 1, "weight_decay": 0.1}, 0.1, 0.01),
    ("yogi", "yogi", R.Yogi, {}, 0.1, 0.01),
    ("yogi_options", "yogi", R.Yogi,
     {"beta1": 0.5, "eps": 1e-4, "initial_accumulator": 0.01, "weight_decay": 0.1}, 0.1, 0.01),
    ("adan", "adan", R.Adan, {}, 0.05, 0.01),
    ("adan_options", "adan", R.Adan, {"beta2": 0.8, "weight_decay": 0.1}, 0.05, 0.01),
    ("adan_no_prox", "adan", R.Adan, {"weight_decay": 0.1, "no_prox": 1}, 0.05, 0.01),
    ("lamb", "lamb", R.Lamb, {}, 0.05, 0.01),
    ("lamb_options", "lamb", R.Lamb, {"beta1": 0.8, "weight_decay": 0.1}, 0.05, 0.01),
    ("lars", "lars", R.Lars, {}, 5.0, 5.0),
    ("lars_options", "lars", R.Lars,
     {"momentum": 0.5, "weight_decay": 0.1, "trust_coefficient": 0.01}, 1.0, 1.0),
    ("adafactor", "adafactor", R.Adafactor, {}, 0.05, 0.01),
    ("adafactor_options", "adafactor", R.Adafactor,
     {"beta1": 0.9, "clip_threshold": 0.5, "scale_parameter": 0, "weight_decay": 0.1,
      "decay_rate": -0.5}, 0.05, 0.01),
    ("muon", "muon", R.Muon, {}, 0.02, 0.005),
    ("muon_options", "muon", R.Muon,
     {"momentum": 0.8, "nesterov": 0, "ns_steps": 3, "weight_decay": 0.1, "adam_lr_ratio": 0.5},
     0.02, 0.02),
    ("adamw_schedulefree", "adamw_schedulefree", R.AdamWScheduleFree, {}, 0.05, 0.01),
    ("adamw_schedulefree_options", "adamw_schedulefree", R.AdamWScheduleFree,
     {"beta1": 0.8, "warmup_steps": 10, "weight_decay": 0.1, "r": 1.0, "decay_at_z": 1},
     0.05, 0.01),
]


def fmt(values):
    return " ".join("%.9g" % v for v in values)


def quadratic():
    n = 10
    a = torch.tensor([10 ** (-1 + 2 * i / (n - 1)) for i in range(n)])
    b = torch.tensor([0.5 * math.cos(3 * i) for i in range(n)])
    p0 = torch.tensor([2.0 * math.sin(i + 1) for i in range(n)])
    header = ["a " + fmt(a.tolist()), "b " + fmt(b.tolist())]

    # Two tensors of 5, as the C test lays the problem out, so that per-tensor
    # methods see the same layout.
    def grads(params, step):
        p = torch.cat([t.detach() for t in params])
        return list(torch.split(a * p + b, n // 2))

    return list(torch.split(p0, n // 2)), header, grads


def mlp():
    n_in, n_hidden, n_out, rows, batch = 6, 5, 3, 32, 8
    # Deterministic values from simple formulas, independent of any RNG.
    w1 = torch.tensor([[0.5 * math.sin(1.3 * i + 0.7 * j + 1) for j in range(n_in)]
                       for i in range(n_hidden)])
    b1 = torch.tensor([0.1 * math.cos(i) for i in range(n_hidden)])
    w2 = torch.tensor([[0.6 * math.cos(0.9 * i - 1.1 * j) for j in range(n_hidden)]
                       for i in range(n_out)])
    b2 = torch.tensor([0.05 * i for i in range(n_out)])
    x = torch.tensor([[math.sin(0.37 * r + 0.91 * c) + 0.3 * math.cos(1.7 * r * c)
                       for c in range(n_in)] for r in range(rows)])
    y = torch.tensor([(r * 7 + (r // 3)) % n_out for r in range(rows)])
    header = ["model %d %d %d tanh" % (n_in, n_hidden, n_out), "batch %d" % batch,
              "x " + fmt(x.flatten().tolist()), "y " + fmt(y.tolist())]

    def grads(params, step):
        W1, B1, W2, B2 = params
        k = (step - 1) % (rows // batch)
        xb, yb = x[k * batch:(k + 1) * batch], y[k * batch:(k + 1) * batch]
        with torch.enable_grad():
            ps = [t.detach().requires_grad_(True) for t in params]
            h = torch.tanh(xb @ ps[0].T + ps[1])
            loss = torch.nn.functional.cross_entropy(h @ ps[2].T + ps[3], yb)
            return list(torch.autograd.grad(loss, ps))

    return [w1, b1, w2, b2], header, grads


def write(stem, problem, label, comment, hparams, lr, header, p0, steps):
    lines = [
        "# generated by tests/golden/generate.py: " + comment,
        "problem " + problem,
        "optimizer " + label,
        "hparams " + " ".join("%s=%r" % kv for kv in sorted(hparams.items())),
        "lr %r" % lr,
        "n %d" % len(p0.split()),
    ] + header + ["p0 " + p0] + ["step %d %s" % (t + 1, s) for t, s in enumerate(steps)]
    with open(os.path.join(OUT, "%s.%s.golden" % (stem, problem)), "w") as f:
        f.write("\n".join(lines) + "\n")


def run(case, problem, make):
    stem, label, cls, kwargs, hparams, lr_q, lr_m = case
    lr = lr_q if problem == "quadratic" else lr_m
    init, header, grads = make()
    params = [t.clone().requires_grad_(True) for t in init]
    opt = cls(params, lr=lr, **kwargs)
    flat = lambda: fmt(torch.cat([p.detach().flatten() for p in params]).tolist())
    p0, steps = flat(), []
    for t in range(1, STEPS + 1):
        with torch.no_grad():
            for p, g in zip(params, grads(params, t)):
                p.grad = g.detach().clone()
        opt.step()
        steps.append(flat())
    write(stem, problem, label, "torch %s %s(lr=%r, %r)" % (torch.__version__, cls.__name__,
          lr, kwargs), hparams, lr, header, p0, steps)


def run_reference(case, problem, make):
    stem, label, cls, hparams, lr_q, lr_m = case
    lr = lr_q if problem == "quadratic" else lr_m
    init, header, grads = make()
    params = [t.numpy().astype(np.float32).copy() for t in init]
    opt = cls(params, lr, **hparams)
    flat = lambda: fmt(np.concatenate([p.ravel() for p in params]).tolist())
    p0, steps = flat(), []
    for t in range(1, STEPS + 1):
        g = grads([torch.from_numpy(p) for p in params], t)
        opt.step([x.detach().numpy().astype(np.float32) for x in g], t)
        steps.append(flat())
    write(stem, problem, label, "NumPy reference %s (tests/golden/reference.py), lr=%r, %r"
          % (cls.__name__, lr, hparams), hparams, lr, header, p0, steps)


def run_decay_weights(case, reference):
    """[search] decay = weights on the mlp: the biases take no weight decay.
    torch's way is two parameter groups, the second with weight_decay 0; a
    NumPy reference, whose updates are per tensor, runs as two instances."""
    if reference:
        stem, label, cls, hparams, _, lr = case
    else:
        stem, label, cls, kwargs, hparams, _, lr = case
    init, header, grads = mlp()
    weights, biases = [0, 2], [1, 3]  # W1, B1, W2, B2
    if reference:
        params = [t.numpy().astype(np.float32).copy() for t in init]
        opts = [(cls([params[i] for i in weights], lr, **hparams), weights),
                (cls([params[i] for i in biases], lr, **{**hparams, "weight_decay": 0.0}),
                 biases)]
        flat = lambda: fmt(np.concatenate([p.ravel() for p in params]).tolist())
        comment = "NumPy reference %s (tests/golden/reference.py), lr=%r, %r" % (
            cls.__name__, lr, hparams)
    else:
        params = [t.clone().requires_grad_(True) for t in init]
        opt = cls([{"params": [params[i] for i in weights]},
                   {"params": [params[i] for i in biases], "weight_decay": 0.0}],
                  lr=lr, **kwargs)
        flat = lambda: fmt(torch.cat([p.detach().flatten() for p in params]).tolist())
        comment = "torch %s %s(lr=%r, %r), biases in a group of weight_decay 0" % (
            torch.__version__, cls.__name__, lr, kwargs)
    p0, steps = flat(), []
    for t in range(1, STEPS + 1):
        if reference:
            g = grads([torch.from_numpy(p) for p in params], t)
            g = [x.detach().numpy().astype(np.float32) for x in g]
            for o, idx in opts:
                o.step([g[i] for i in idx], t)
        else:
            with torch.no_grad():
                for p, g in zip(params, grads(params, t)):
                    p.grad = g.detach().clone()
            opt.step()
        steps.append(flat())
    write(stem + "_decay_weights", "mlp", label, comment, hparams, lr,
          header + ["decay weights"], p0, steps)


def main():
    torch.set_num_threads(1)
    for case in CASES:
        run(case, "quadratic", quadratic)
        run(case, "mlp", mlp)
    for case in REF_CASES:
        run_reference(case, "quadratic", quadratic)
        run_reference(case, "mlp", mlp)
    n = 2 * (len(CASES) + len(REF_CASES))
    for case in CASES:
        if "weight_decay" in case[4]:
            run_decay_weights(case, False)
            n += 1
    for case in REF_CASES:
        if "weight_decay" in case[3]:
            run_decay_weights(case, True)
            n += 1
    print("wrote %d golden files to %s" % (n, OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
