"""NumPy reference implementations of the optimizers that PyTorch 1.13 lacks,
written from their papers (and checked against the authors' code where they
publish it) for tests/golden/generate.py.

Each class takes the list of float32 parameter arrays (one per tensor), the
hyperparameters as the plugin names them, and the learning rate; step(grads,
t) updates the arrays in place.  Arithmetic stays in float32 where the
authors' code runs in float32 tensors, with Python floats for scalars, as
torch does.
"""
import math

import numpy as np

F = np.float32


def sign(x):
    return np.sign(x).astype(F)


class Lion:
    """Chen et al. 2023, Algorithm 2."""
    defaults = dict(beta1=0.9, beta2=0.99, weight_decay=0.0)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.m = [np.zeros_like(p) for p in params]

    def step(self, grads, t):
        b1, b2, wd, lr = self.h["beta1"], self.h["beta2"], self.h["weight_decay"], self.lr
        for p, g, m in zip(self.p, grads, self.m):
            c = m * F(b1) + F(1 - b1) * g
            p *= F(1 - lr * wd)
            p += F(-lr) * sign(c)
            m[:] = m * F(b2) + F(1 - b2) * g


class AdaBelief:
    """Zhuang et al. 2020, Algorithm 2, with adabelief-pytorch 0.2.0's options."""
    defaults = dict(beta1=0.9, beta2=0.999, eps=1e-16, weight_decay=0.0,
                    weight_decouple=1, rectify=1, amsgrad=0)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.m = [np.zeros_like(p) for p in params]
        self.s = [np.zeros_like(p) for p in params]
        self.smax = [np.zeros_like(p) for p in params]

    def step(self, grads, t):
        h, lr = self.h, self.lr
        b1, b2, eps, wd = h["beta1"], h["beta2"], h["eps"], h["weight_decay"]
        bc1, beta2_t = 1 - b1 ** t, b2 ** t
        bc2 = 1 - beta2_t
        for p, g, m, s, smax in zip(self.p, grads, self.m, self.s, self.smax):
            if h["weight_decouple"]:
                p *= F(1 - lr * wd)
            elif wd:
                g = g + F(wd) * p
            m[:] = m * F(b1) + F(1 - b1) * g
            r = g - m
            s[:] = s * F(b2) + F(1 - b2) * r * r
            s += F(eps)
            second = s
            if h["amsgrad"]:
                np.maximum(smax, s, out=smax)
                second = smax
            if not h["rectify"]:
                p += F(-(lr / bc1)) * m / (np.sqrt(second) / F(math.sqrt(bc2)) + F(eps))
                continue
            rho_inf = 2 / (1 - b2) - 1
            rho_t = rho_inf - 2 * t * beta2_t / bc2
            if rho_t >= 5:
                step = math.sqrt(bc2 * (rho_t - 4) / (rho_inf - 4) * (rho_t - 2) / rho_t *
                                 rho_inf / (rho_inf - 2)) / bc1
                p += F(-step * lr) * m / (np.sqrt(s) + F(eps))
            else:
                p += F(-(1.0 / bc1) * lr) * m


class Yogi:
    """Zaheer et al. 2018, Algorithm 2, initialised as TensorFlow Addons does."""
    defaults = dict(beta1=0.9, beta2=0.999, eps=1e-3, initial_accumulator=1e-6,
                    weight_decay=0.0)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        init = F(self.h["initial_accumulator"])
        self.m = [np.full_like(p, init) for p in params]
        self.v = [np.full_like(p, init) for p in params]

    def step(self, grads, t):
        h, lr = self.h, self.lr
        b1, b2, eps, wd = h["beta1"], h["beta2"], h["eps"], h["weight_decay"]
        for p, g, m, v in zip(self.p, grads, self.m, self.v):
            if wd:
                g = g + F(wd) * p
            m[:] = m * F(b1) + F(1 - b1) * g
            g2 = g * g
            v[:] = v + F(-(1 - b2)) * sign(v - g2) * g2
            p += F(-(lr / (1 - b1 ** t))) * m / (np.sqrt(v) / F(math.sqrt(1 - b2 ** t)) + F(eps))


class Adan:
    """Xie et al. 2022, Algorithm 1, in sail-sg/Adan's parametrisation."""
    defaults = dict(beta1=0.98, beta2=0.92, beta3=0.99, eps=1e-8, weight_decay=0.0,
                    no_prox=0)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.m, self.v, self.n, self.prev = ([np.zeros_like(p) for p in params]
                                             for _ in range(4))

    def step(self, grads, t):
        h, lr = self.h, self.lr
        b1, b2, b3, eps, wd = h["beta1"], h["beta2"], h["beta3"], h["eps"], h["weight_decay"]
        for p, g, m, v, n, prev in zip(self.p, grads, self.m, self.v, self.n, self.prev):
            d = np.zeros_like(g) if t == 1 else g - prev
            m[:] = m * F(b1) + F(1 - b1) * g
            v[:] = v * F(b2) + F(1 - b2) * d
            nest = d * F(b2) + g
            n[:] = n * F(b3) + F(1 - b3) * nest * nest
            denom = np.sqrt(n) / F(math.sqrt(1 - b3 ** t)) + F(eps)
            if h["no_prox"]:
                p *= F(1 - lr * wd)
            p += F(-(lr / (1 - b1 ** t))) * m / denom
            p += F(-(lr * b2 / (1 - b2 ** t))) * v / denom
            if not h["no_prox"]:
                p /= F(1 + lr * wd)
            prev[:] = g


def norm(x):
    return F(math.sqrt(float(np.sum(x.astype(np.float64) ** 2))))


class Lamb:
    """You et al. 2020, Algorithm 2, as TensorFlow Addons computes it."""
    defaults = dict(beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads, t):
        h, lr = self.h, self.lr
        b1, b2, eps, wd = h["beta1"], h["beta2"], h["eps"], h["weight_decay"]
        bc1, bc2 = F(1 - b1 ** t), F(1 - b2 ** t)
        for p, g, m, v in zip(self.p, grads, self.m, self.v):
            m[:] = m * F(b1) + F(1 - b1) * g
            v[:] = v * F(b2) + F(1 - b2) * g * g
            u = (m / bc1) / (np.sqrt(v / bc2) + F(eps)) + F(wd) * p
            w_norm, u_norm = norm(p), norm(u)
            ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else F(1)
            p -= F(ratio * F(lr)) * u


class Lars:
    """You, Gitman & Ginsburg 2017, Algorithm 1."""
    defaults = dict(momentum=0.9, weight_decay=0.0, trust_coefficient=1e-3)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads, t):
        h = self.h
        mom, wd, eta = F(h["momentum"]), F(h["weight_decay"]), F(h["trust_coefficient"])
        for p, g, v in zip(self.p, grads, self.v):
            w_norm, g_norm = norm(p), norm(g)
            denom = g_norm + wd * w_norm
            local = eta * w_norm / denom if w_norm > 0 and denom > 0 else F(1)
            v[:] = v * mom + F(F(self.lr) * local) * (g + wd * p)
            p -= v


def lerp(a, b, w):
    """torch.lerp's two-sided formula, in float32."""
    w = F(w)
    return a + w * (b - a) if w < 0.5 else b - (b - a) * (F(1) - w)


class Muon:
    """Jordan et al. 2024, as SingleDeviceMuonWithAuxAdam computes it, with
    the Newton-Schulz iteration in float32 instead of bfloat16.  Matrices
    (ndim >= 2) get Muon, other tensors AdamW at lr * adam_lr_ratio."""
    defaults = dict(momentum=0.95, nesterov=1, ns_steps=5, weight_decay=0.0,
                    adam_lr_ratio=0.015, adam_beta1=0.9, adam_beta2=0.95, adam_eps=1e-10)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.buf = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    @staticmethod
    def orthogonalise(u, steps):
        a, b, c = F(3.4445), F(-4.7750), F(2.0315)
        x = u.T if u.shape[0] > u.shape[1] else u
        x = x * (F(1) / (norm(x) + F(1e-7)))
        for _ in range(steps):
            A = x @ x.T
            B = b * A + c * (A @ A)
            x = a * x + B @ x
        return x.T if u.shape[0] > u.shape[1] else x

    def step(self, grads, t):
        h, lr = self.h, self.lr
        for p, g, buf, v in zip(self.p, grads, self.buf, self.v):
            if p.ndim < 2:
                alr = lr * h["adam_lr_ratio"]
                b1, b2 = h["adam_beta1"], h["adam_beta2"]
                buf[:] = lerp(buf, g, 1 - b1)
                v[:] = lerp(v, g * g, 1 - b2)
                update = (buf / F(1 - b1 ** t)) / (np.sqrt(v / F(1 - b2 ** t)) + F(h["adam_eps"]))
                p *= F(1 - alr * h["weight_decay"])
                p += F(-alr) * update
                continue
            buf[:] = lerp(buf, g, 1 - h["momentum"])
            u = lerp(g, buf, h["momentum"]) if h["nesterov"] else buf.copy()
            u = self.orthogonalise(u, int(h["ns_steps"]))
            gain = F(math.sqrt(max(1.0, p.shape[0] / p.shape[1])))
            p *= F(1 - lr * h["weight_decay"])
            p += F(-lr) * (u * gain)


class Adafactor:
    """Shazeer & Stern 2018, Algorithms 4-5, with an external learning rate
    (relative_step=False in the transformers port of the authors' code)."""
    defaults = dict(decay_rate=-0.8, clip_threshold=1.0, beta1=0.0, eps1=1e-30, eps2=1e-3,
                    scale_parameter=1, weight_decay=0.0)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.factored = [p.ndim >= 2 and p.shape[0] >= 2 and p.shape[-1] >= 2 for p in params]
        self.row = [np.zeros(p.shape[0], F) if f else None for p, f in zip(params, self.factored)]
        self.col = [np.zeros(p.shape[-1], F) if f else None for p, f in zip(params, self.factored)]
        self.vec = [None if f else np.zeros_like(p) for p, f in zip(params, self.factored)]
        self.m = [np.zeros_like(p) for p in params]

    def step(self, grads, t):
        h = self.h
        beta2t = 1.0 - t ** h["decay_rate"]
        for k, (p, g) in enumerate(zip(self.p, grads)):
            scale = F(self.lr)
            if h["scale_parameter"]:
                scale = max(F(h["eps2"]), norm(p) / F(math.sqrt(p.size))) * scale
            g2 = g * g + F(h["eps1"])
            if self.factored[k]:
                row, col = self.row[k], self.col[k]
                row[:] = row * F(beta2t) + F(1 - beta2t) * g2.astype(np.float64).mean(axis=1).astype(F)
                col[:] = col * F(beta2t) + F(1 - beta2t) * g2.astype(np.float64).mean(axis=0).astype(F)
                row_mean = F(row.astype(np.float64).mean())
                r = F(1) / np.sqrt(row / row_mean)
                c = F(1) / np.sqrt(col)
                u = r[:, None] * c[None, :] * g
            else:
                v = self.vec[k]
                v[:] = v * F(beta2t) + F(1 - beta2t) * g2
                u = g / np.sqrt(v)
            u_rms = norm(u) / F(math.sqrt(u.size))
            u = u / max(u_rms / F(h["clip_threshold"]), F(1))
            u = u * scale
            if h["beta1"] > 0:
                m = self.m[k]
                m[:] = m * F(h["beta1"]) + F(1 - h["beta1"]) * u
                u = m
            if h["weight_decay"]:
                p += F(-(h["weight_decay"] * float(scale))) * p
            p -= u


class AdamWScheduleFree:
    """Defazio et al. 2024, as AdamWScheduleFreeReference computes it.  The
    parameters are the training point y; eval() gives x."""
    defaults = dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0,
                    weight_lr_power=2.0, decay_at_z=0)

    def __init__(self, params, lr, **hp):
        self.p, self.lr, self.h = params, lr, {**self.defaults, **hp}
        self.z = [p.copy() for p in params]
        self.x = [p.copy() for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.lr_max, self.weight_sum = -1.0, 0.0

    def step(self, grads, t):
        h = self.h
        sched = t / h["warmup_steps"] if t - 1 < h["warmup_steps"] else 1.0
        lr = self.lr * sched * math.sqrt(1 - h["beta2"] ** t)
        self.lr_max = max(lr, self.lr_max)
        weight = (t ** h["r"]) * (self.lr_max ** h["weight_lr_power"])
        self.weight_sum += weight
        ckp1 = weight / self.weight_sum if self.weight_sum else 0.0
        b1, b2 = h["beta1"], h["beta2"]
        for y, g, z, x, v in zip(self.p, grads, self.z, self.x, self.v):
            if h["weight_decay"]:
                z += F(-(lr * h["weight_decay"])) * (z if h["decay_at_z"] else y)
            v[:] = v * F(b2) + F(1 - b2) * g * g
            z += F(-lr) * g / (np.sqrt(v) + F(h["eps"]))
            x[:] = x * F(1 - ckp1) + F(ckp1) * z
            y[:] = x * F(b1) + F(1 - b1) * z
