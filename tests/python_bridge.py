"""python/optselect against torch.optim and a NumPy reference, step for
step, as TAP (tests/python.sh runs it): optselect's adam, sgd with momentum
and lion plugins train a PyTorch model, and the losses match
torch.optim.Adam and SGD, and lion's update in NumPy, to a relative 1e-5
over 50 steps; the state survives state_dict; bad arguments are errors."""
import copy
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "python"))
import optselect  # noqa: E402

n = 0
failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {name}")
    if not cond:
        failed += 1
        if detail:
            print(f"# {detail}")


def model():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


torch.manual_seed(5)
X = torch.randn(64, 6)
Y = X[:, :3].argmax(1)  # learnable
LOSS = torch.nn.CrossEntropyLoss()


def losses(m, opt, steps=50, update=None):
    out = []
    for t in range(steps):
        loss = LOSS(m(X[t % 4 * 16:(t % 4 + 1) * 16]), Y[t % 4 * 16:(t % 4 + 1) * 16])
        opt.zero_grad()
        loss.backward()
        if update:
            update(m, t + 1)
        else:
            opt.step()
        out.append(loss.item())
    return np.array(out)


def worst(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def compare(name, plugin, reference, **hp):
    m1, m2 = model(), model()
    got = losses(m1, optselect.Optimizer(m1.parameters(), plugin, **hp))
    want = losses(m2, reference(m2.parameters()))
    w = worst(got, want)
    ok(w < 1e-5, f"{name}: 50 losses within a relative 1e-5 of torch's", f"worst {w:.3g}")
    a, b = want[:4].mean(), want[-4:].mean()  # over the 4 batches
    ok(b < 0.8 * a, f"{name}: and it trains (loss {a:.4f} -> {b:.4f})")


compare("adam", "adam", lambda p: torch.optim.Adam(p, lr=1e-2), lr=1e-2)
compare("adam, beta2 = 0.99, weight_decay = 0.01", "adam",
        lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.9, 0.99), weight_decay=0.01),
        lr=1e-2, beta2=0.99, weight_decay=0.01)
compare("sgd with momentum 0.9", "sgd", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        lr=0.05, momentum=0.9)
compare("sgd, nesterov", "sgd",
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        lr=0.05, momentum=0.9, nesterov=1)

# lion against its update written out in NumPy (float32), on torch's gradients
m1, m2 = model(), model()
got = losses(m1, optselect.Optimizer(m1.parameters(), "lion", lr=1e-3, weight_decay=0.1))
moment = [np.zeros(p.shape, np.float32) for p in m2.parameters()]


def lion_numpy(m, t, lr=1e-3, b1=0.9, b2=0.99, wd=0.1):
    with torch.no_grad():
        for p, mo in zip(m.parameters(), moment):
            g = p.grad.numpy()
            c = b1 * mo + (1 - b1) * g
            w = p.numpy()
            w *= np.float32(1 - lr * wd)
            w -= np.float32(lr) * np.sign(c).astype(np.float32)
            mo[...] = b2 * mo + (1 - b2) * g


want = losses(m2, torch.optim.SGD(m2.parameters(), lr=0), update=lion_numpy)
w = worst(got, want)
ok(w < 1e-5, "lion: 50 losses within a relative 1e-5 of its NumPy reference", f"worst {w:.3g}")

# state_dict: stopped at 20 steps, restored into a fresh model and
# optimizer, the next 30 are the uninterrupted run's
m1 = model()
o1 = optselect.Optimizer(m1.parameters(), "adam", lr=1e-2)
whole = losses(m1, o1)
m2 = model()
o2 = optselect.Optimizer(m2.parameters(), "adam", lr=1e-2)
first = losses(m2, o2, 20)
saved = copy.deepcopy((m2.state_dict(), o2.state_dict()))
m3 = model()
o3 = optselect.Optimizer(m3.parameters(), "adam", lr=1e-2)
m3.load_state_dict(saved[0])
o3.load_state_dict(saved[1])
rest = []
for t in range(20, 50):
    loss = LOSS(m3(X[t % 4 * 16:(t % 4 + 1) * 16]), Y[t % 4 * 16:(t % 4 + 1) * 16])
    o3.zero_grad()
    loss.backward()
    o3.step()
    rest.append(loss.item())
ok(np.array_equal(np.concatenate([first, rest]), whole),
   "state_dict and load_state_dict: a run continued from them is the uninterrupted one")


def raises(kind, fn, name, text):
    try:
        fn()
    except kind as e:
        ok(text in str(e), name, str(e))
        return
    ok(False, name, "no error")


p = list(model().parameters())
raises(ValueError, lambda: optselect.Optimizer(p, "adam", betta1=0.9),
       "an unknown hyperparameter is an error naming the table",
       "adam has no hyperparameter 'betta1' (it has: beta1, beta2")
raises(ValueError, lambda: optselect.Optimizer(p, "sgd", momentum=2.0),
       "a value out of bounds is an error", "momentum = 2.0 is outside [0.0, 1.0]")
raises(ValueError, lambda: optselect.Optimizer(p, "sgd", nesterov=1),
       "a combination the plugin's check() refuses is an error with its message", "nesterov")
raises(optselect.PluginError, lambda: optselect.Optimizer(p, "no_such_method"),
       "an optimizer no plugin has is an error", "no optselect plugin has an optimizer")
raises(TypeError, lambda: optselect.Optimizer([torch.zeros(3, dtype=torch.float64,
                                                            requires_grad=True)], "adam").step(),
       "float64 parameters are refused", "float32")

print(f"1..{n}")
sys.exit(1 if failed else 0)
