#!/usr/bin/env python3
"""Optuna 3.1 + PyTorch 1.13 anchor for bench/study.sh: the same selection
study as optselect's, the way a practitioner would write it with Optuna.

Every (optimizer, learning rate) candidate listed in CANDIDATES (a TSV of
optimizer, lr, momentum, weight_decay, written by bench/study.sh from
optselect's own candidate list) is one Optuna trial (GridSampler).  A trial
trains the MLP 784-256-128-10 (relu), batch 128, on a 10,000-image subset of
Fashion-MNIST's training images for 300 steps and reports the validation
loss on 6,000 held-out images every 50 steps; the SuccessiveHalvingPruner
(reduction factor 3, first rung at the first report) stops the laggards.

    python3 bench/optuna_study.py CANDIDATES THREADS [nopruning]

Prints, tab-separated: study seconds (after imports and data loading), the
best trial's optimizer, lr and validation loss, trials completed, pruned.
"""
import gzip
import sys
import time

import numpy as np
import optuna
import torch

DATA = "/usr/share/datasets/fashion-mnist/"
STEPS, EVAL_EVERY, BATCH, SUBSET, VALIDATION = 300, 50, 128, 10000, 6000

OPTIMIZERS = {
    "sgd": lambda p, lr, mom, wd: torch.optim.SGD(p, lr=lr, momentum=mom, weight_decay=wd),
    "adam": lambda p, lr, mom, wd: torch.optim.Adam(p, lr=lr, weight_decay=wd),
    "adamw": lambda p, lr, mom, wd: torch.optim.AdamW(p, lr=lr, weight_decay=wd),
    "rmsprop": lambda p, lr, mom, wd: torch.optim.RMSprop(p, lr=lr, momentum=mom,
                                                          weight_decay=wd),
    "adagrad": lambda p, lr, mom, wd: torch.optim.Adagrad(p, lr=lr, weight_decay=wd),
    "nadam": lambda p, lr, mom, wd: torch.optim.NAdam(p, lr=lr, weight_decay=wd),
    "radam": lambda p, lr, mom, wd: torch.optim.RAdam(p, lr=lr, weight_decay=wd),
    "adamax": lambda p, lr, mom, wd: torch.optim.Adamax(p, lr=lr, weight_decay=wd),
}


def idx(path, offset):
    with gzip.open(DATA + path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load():
    x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255
    y = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    perm = np.random.default_rng(1).permutation(len(x))
    val, train = perm[:VALIDATION], perm[VALIDATION:]
    mean, std = x[train].mean(0), np.maximum(x[train].std(0), 1e-12)
    x = (x - mean) / std
    sub = train[:SUBSET]
    return (torch.from_numpy(x[sub]), torch.from_numpy(y[sub]),
            torch.from_numpy(x[val]), torch.from_numpy(y[val]))


def main():
    cands = [line.split("\t") for line in open(sys.argv[1]).read().splitlines() if line]
    torch.set_num_threads(int(sys.argv[2]))
    pruning = len(sys.argv) < 4
    xt, yt, xv, yv = load()
    loss_fn = torch.nn.CrossEntropyLoss()

    def objective(trial):
        name, lr, mom, wd = cands[trial.suggest_categorical("candidate", list(range(len(cands))))]
        torch.manual_seed(1)  # the same initial weights for every candidate
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 10))
        opt = OPTIMIZERS[name](model.parameters(), float(lr), float(mom), float(wd))
        order, at = torch.randperm(len(xt)), 0
        val = float("inf")
        for step in range(1, STEPS + 1):
            if at + BATCH > len(xt):  # a new epoch, reshuffled
                order, at = torch.randperm(len(xt)), 0
            rows = order[at:at + BATCH]
            at += BATCH
            opt.zero_grad()
            loss = loss_fn(model(xt[rows]), yt[rows])
            loss.backward()
            opt.step()
            if step % EVAL_EVERY == 0:
                with torch.no_grad():
                    val = loss_fn(model(xv), yv).item()
                if not np.isfinite(val):
                    raise optuna.TrialPruned()
                trial.report(val, step // EVAL_EVERY)
                if pruning and trial.should_prune():
                    raise optuna.TrialPruned()
        return val

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.GridSampler({"candidate": list(range(len(cands)))}, seed=1)
    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = optuna.create_study(sampler=sampler, pruner=pruner if pruning else
                                optuna.pruners.NopPruner())
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=len(cands))
    seconds = time.perf_counter() - t0
    best = study.best_trial
    name, lr, _, _ = cands[best.params["candidate"]]
    states = [t.state for t in study.trials]
    print("%.2f\t%s\t%s\t%.5f\t%d\t%d" % (seconds, name, lr, best.value,
                                          states.count(optuna.trial.TrialState.COMPLETE),
                                          states.count(optuna.trial.TrialState.PRUNED)))


if __name__ == "__main__":
    main()
