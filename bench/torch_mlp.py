#!/usr/bin/env python3
"""PyTorch 1.13 anchor for bench/steps.sh: training steps/s of the MLP
784-256-128-10 (relu) with Adam, lr 1e-3, batch 128, on Fashion-MNIST
standardised per pixel, as optselect trains it.  Prints one number: steps/s
over STEPS steps after 50 warm-up steps.

    python3 bench/torch_mlp.py THREADS STEPS
"""
import gzip
import sys
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist/"


def idx(path, offset):
    with gzip.open(DATA + path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    threads, steps = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255
    y = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    x = (x - x.mean(0)) / np.maximum(x.std(0), 1e-12)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
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
