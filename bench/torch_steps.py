#!/usr/bin/env python3
"""PyTorch 1.13 anchor for bench/steps.sh and bench/cnn.sh: training steps/s
on Fashion-MNIST standardised per pixel, as optselect trains it, with Adam
at lr 1e-3 and batch 128.  Prints one number: steps/s over STEPS steps after
50 warm-up steps.

    python3 bench/torch_steps.py MODEL THREADS STEPS

MODEL is mlp (784-256-128-10, relu: configs/fashion-mnist-mlp.ini) or cnn
(the LeNet-style network of configs/fashion-mnist-cnn.ini: conv 16@5x5 pad 2,
relu, pool 2, conv 32@5x5, relu, pool 2, dense 120, relu, dense 84, relu,
dense 10).
"""
import gzip
import sys
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist/"
nn = torch.nn


def idx(path, offset):
    with gzip.open(DATA + path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def network(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)),
                         nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(800, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def main():
    name, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255
    y = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    x = (x - x.mean(0)) / np.maximum(x.std(0), 1e-12)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = network(name)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(x))

    def step(i):
        idx_ = order[(i * 128) % (len(x) - 128):][:128]
        opt.zero_grad()
        loss = loss_fn(model(x[idx_]), y[idx_])
        loss.backward()
        opt.step()

    for i in range(50):
        step(i)
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)
    print("%.1f" % (steps / (time.perf_counter() - t0)))


if __name__ == "__main__":
    main()
