#!/usr/bin/env python3
"""A PyTorch trainer that optselect can tune: a character-level LSTM that
learns to add (lines like "17+25=42;"), a model optselect's own engine does
not have.  It speaks optselect's line protocol (docs/trainers.md):

    optselect: step=N train_loss=X val_loss=Y val_acc=Z

and takes what a trial decides on its command line.  It trains with
torch.optim's optimizers, or with optselect's plugins through the Python
module (--plugins), so that a plugin is compared with torch's on a real
PyTorch model.  Run by hand:

    python3 train.py --optimizer adam --lr 0.003 --steps 200
"""
import argparse
import os
import random
import sys

import torch
from torch import nn

VOCAB = "0123456789+=;"
INDEX = {c: i for i, c in enumerate(VOCAB)}


def sums(rng, n):
    """n lines of addition, "a+b=c;", as one string."""
    return "".join(f"{a}+{b}={a + b};" for a, b in
                   ((rng.randrange(100), rng.randrange(100)) for _ in range(n)))


class Data:
    """A fixed training text and validation text (their own seed, whatever
    the trial's), and batches of windows drawn with the trial's generator."""

    def __init__(self, seq):
        self.seq = seq
        self.train = torch.tensor([INDEX[c] for c in sums(random.Random(1), 4000)])
        self.val = torch.tensor([INDEX[c] for c in sums(random.Random(2), 400)])

    def batch(self, gen, size):
        start = torch.randint(0, len(self.train) - self.seq - 1, (size,), generator=gen)
        idx = start[:, None] + torch.arange(self.seq + 1)[None, :]
        w = self.train[idx]
        return w[:, :-1], w[:, 1:]

    def val_windows(self):
        n = (len(self.val) - 1) // self.seq
        x = self.val[: n * self.seq].view(n, self.seq)
        y = self.val[1: n * self.seq + 1].view(n, self.seq)
        return x, y


class CharLSTM(nn.Module):
    def __init__(self, hidden=48):
        super().__init__()
        self.embed = nn.Embedding(len(VOCAB), 16)
        self.lstm = nn.LSTM(16, hidden, batch_first=True)
        self.out = nn.Linear(hidden, len(VOCAB))

    def forward(self, x):
        h, _ = self.lstm(self.embed(x))
        return self.out(h)


def hparams(text):
    """"momentum=0.9,nesterov=0" -> {"momentum": 0.9, "nesterov": 0.0}"""
    out = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        out[name] = float(value)
    return out


def torch_optimizer(name, params, lr, hp):
    """torch.optim's optimizer of optselect's name, with the hyperparameters
    under their names in the plugins' tables (which follow torch's)."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=hp.get("momentum", 0),
                               dampening=hp.get("dampening", 0),
                               weight_decay=hp.get("weight_decay", 0),
                               nesterov=bool(hp.get("nesterov", 0)))
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(hp.get("beta1", 0.9), hp.get("beta2", 0.999)),
                                eps=hp.get("eps", 1e-8), weight_decay=hp.get("weight_decay", 0),
                                amsgrad=bool(hp.get("amsgrad", 0)))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=hp.get("alpha", 0.99),
                                   eps=hp.get("eps", 1e-8), weight_decay=hp.get("weight_decay", 0),
                                   momentum=hp.get("momentum", 0),
                                   centered=bool(hp.get("centered", 0)))
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, lr_decay=hp.get("lr_decay", 0),
                                   weight_decay=hp.get("weight_decay", 0),
                                   initial_accumulator_value=hp.get("initial_accumulator_value", 0),
                                   eps=hp.get("eps", 1e-10))
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=hp.get("weight_decay", 0.01))
    raise SystemExit(f"train.py: no torch optimizer for '{name}' (use --plugins for optselect's)")


def schedule_factor(kind, step, steps, warmup, floor):
    """The rate of step (1-based) over the peak, as optselect's schedules."""
    import math
    if warmup and step <= warmup:
        return step / warmup
    if kind == "constant" or steps <= warmup:
        return 1.0
    p = (step - 1 - warmup) / (steps - warmup)
    if kind == "cosine":
        return floor + (1 - floor) * (1 + math.cos(math.pi * p)) / 2
    if kind == "linear":
        return 1 - (1 - floor) * p
    raise SystemExit(f"train.py: schedule '{kind}' is not supported here")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--optimizer", default="adam")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--total-steps", type=int, default=0, help="the schedule's length (0: steps)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--hparams", default="", help="NAME=VALUE,... (optselect's {hparams})")
    ap.add_argument("--schedule", default="constant")
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--floor", type=float, default=0.0)
    ap.add_argument("--checkpoint", default="", help="continue from it when it exists; "
                    "written at the end")
    ap.add_argument("--plugins", action="store_true",
                    help="train with optselect's plugin of that name (python/optselect)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    torch.manual_seed(a.seed)
    data = Data(seq=24)
    model = CharLSTM()
    hp = hparams(a.hparams)
    if a.plugins:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "..", "python"))
        import optselect
        opt = optselect.Optimizer(model.parameters(), a.optimizer, lr=a.lr, **hp)
    else:
        opt = torch_optimizer(a.optimizer, model.parameters(), a.lr, hp)
    gen = torch.Generator().manual_seed(a.seed)
    step = 0
    if a.checkpoint and os.path.exists(a.checkpoint):
        ck = torch.load(a.checkpoint)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        gen.set_state(ck["generator"])
        step = ck["step"]
    total = a.total_steps or a.steps
    loss_fn = nn.CrossEntropyLoss()
    vx, vy = data.val_windows()

    def report(train_loss):
        model.eval()
        with torch.no_grad():
            logits = model(vx)
            val = loss_fn(logits.reshape(-1, len(VOCAB)), vy.reshape(-1)).item()
            acc = (logits.argmax(-1) == vy).float().mean().item()
        model.train()
        train = f" train_loss={train_loss:.6g}" if train_loss is not None else ""
        print(f"optselect: step={step}{train} val_loss={val:.6g} val_acc={acc:.4f}", flush=True)

    if step == 0:
        report(None)
    smooth = None
    while step < a.steps:
        x, y = data.batch(gen, a.batch_size)
        loss = loss_fn(model(x).reshape(-1, len(VOCAB)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        step += 1
        for g in opt.param_groups:
            g["lr"] = a.lr * schedule_factor(a.schedule, step, total, a.warmup, a.floor)
        opt.step()
        smooth = loss.item() if smooth is None else 0.9 * smooth + 0.1 * loss.item()
        if step % a.eval_every == 0 or step == a.steps:
            report(smooth)
    if a.checkpoint:
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "generator": gen.get_state(), "step": step}, a.checkpoint)


if __name__ == "__main__":
    main()
