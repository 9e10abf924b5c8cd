"""optselect's optimizer plugins as torch.optim optimizers, through ctypes.

    import optselect
    opt = optselect.Optimizer(model.parameters(), "adam", lr=1e-3, beta2=0.99)

A plugin checked with `optselect --check-plugin` trains any PyTorch model
this way, unchanged: each parameter group's tensors become one flat float32
buffer of the plugin's layout (the parameters are views into it), the
gradients are gathered into a second, and every step calls the plugin's
step() with the group's rate.  The plugin's state is a host-owned byte
buffer kept in the optimizer's state, so state_dict() and
load_state_dict() save and restore it.  CPU, float32.
"""
import ctypes

import torch

from .plugin import (ERRORS, HOST_MINOR, HP_BOOL, HP_INT, ROLE_BIAS, ROLE_EMBEDDING,
                     ROLE_OTHER, ROLE_WEIGHT, CHECK, Env, Layout, PluginError, Tensor, find,
                     hparams_of)

__all__ = ["Optimizer", "PluginError"]
ALIGN = 64  # the state's alignment, as the program's os_alloc_aligned


def _role(p):
    if isinstance(getattr(p, "optselect_role", None), int):
        return p.optselect_role
    return ROLE_WEIGHT if p.dim() >= 2 else ROLE_BIAS if p.dim() == 1 else ROLE_OTHER


class _Group:
    """The flat buffers, layout and env of one parameter group."""

    def __init__(self, params, desc):
        for p in params:
            if p.dtype != torch.float32 or p.device.type != "cpu":
                raise TypeError("optselect plugins train float32 parameters on the CPU; "
                                f"got {p.dtype} on {p.device}")
        n = sum(p.numel() for p in params)
        self.flat = torch.zeros(n, dtype=torch.float32)
        self.grad = torch.zeros(n, dtype=torch.float32)
        self.tensors = (Tensor * max(len(params), 1))()
        self.roles = (ctypes.c_ubyte * max(len(params), 1))()
        self.names = []
        off = 0
        for i, p in enumerate(params):
            k = p.numel()
            self.flat[off:off + k].copy_(p.detach().reshape(-1))
            p.data = self.flat[off:off + k].view_as(p)  # the parameter is a view of it
            shape = list(p.shape) if 1 <= p.dim() <= 4 else [k]
            self.names.append(f"param{i}".encode())
            t = self.tensors[i]
            t.name, t.offset, t.size, t.ndim = self.names[-1], off, k, len(shape)
            for j, s in enumerate(shape):
                t.shape[j] = s
            self.roles[i] = _role(p)
            off += k
        self.layout = Layout(n, len(params), self.tensors, self.roles)
        self.hp = (ctypes.c_double * max(desc.n_hparams, 1))()
        self.err = ctypes.create_string_buffer(256)
        self.env = Env(ctypes.pointer(self.layout), self.hp,
                       ctypes.cast(self.err, ctypes.c_void_p), len(self.err), HOST_MINOR,
                       ctypes.sizeof(Env))


class Optimizer(torch.optim.Optimizer):
    """The optimizer `label` of an optselect plugin (found on
    $OPTSELECT_PLUGIN_PATH, the build tree or the install; or in the file
    `plugin`).  lr defaults to the plugin's default rate, each
    hyperparameter to its table's default; values are checked against its
    bounds and its check()."""

    def __init__(self, params, label, lr=None, plugin=None, **hparams):
        self.desc = find(label, plugin)
        self.label = label
        table = hparams_of(self.desc)
        names = [h.name.decode() for h in table]
        for k in hparams:
            if k not in names:
                raise ValueError(f"{label} has no hyperparameter '{k}' "
                                 f"(it has: {', '.join(names) or 'none'})")
        defaults = {"lr": self.desc.default_lr if lr is None else float(lr)}
        for h in table:
            defaults[h.name.decode()] = float(hparams.get(h.name.decode(), h.default_value))
        super().__init__(params, defaults)
        for g in self.param_groups:
            self._values(g)  # checked now, not at the first step
        self._groups = [None] * len(self.param_groups)

    def _values(self, group):
        """The group's hyperparameters in table order, checked."""
        out = []
        for h in hparams_of(self.desc):
            name = h.name.decode()
            v = float(group[name])
            if not (h.min <= v <= h.max) or ((h.flags & (HP_INT | HP_BOOL)) and v != int(v)):
                raise ValueError(f"{self.label}: {name} = {v} is outside [{h.min}, {h.max}]")
            out.append(v)
        if self.desc.check:
            msg = ctypes.create_string_buffer(256)
            arr = (ctypes.c_double * max(len(out), 1))(*out)
            if CHECK(self.desc.check)(arr, msg, len(msg)) != 0:
                raise ValueError(f"{self.label}: {msg.value.decode()}")
        return out

    def _fail(self, what, rc, g):
        raise RuntimeError(f"{self.label} {what} failed ({ERRORS.get(rc, rc)}): "
                           f"{g.err.value.decode()}")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        d = self.desc
        for i, group in enumerate(self.param_groups):
            params = group["params"]
            if self._groups[i] is None:
                self._groups[i] = _Group(params, d)
            g = self._groups[i]
            for j, v in enumerate(self._values(group)):
                g.hp[j] = v
            st = self.state[params[0]]
            env = ctypes.byref(g.env)
            fptr = ctypes.cast(g.flat.data_ptr(), ctypes.POINTER(ctypes.c_float))
            if "plugin_state" not in st:
                st["step"] = 0
                st["plugin_state"] = self._aligned(d.state_bytes(env))
                rc = d.init(env, st["plugin_state"].data_ptr() or None, fptr)
                if rc:
                    self._fail("init", rc, g)
            elif (st["plugin_state"].dtype != torch.uint8 or
                  st["plugin_state"].data_ptr() % ALIGN):
                # as load_state_dict left it: torch 1.13 casts a state tensor to
                # the parameter's dtype (bytes 0..255 survive float32 exactly)
                st["plugin_state"] = self._aligned(st["plugin_state"].numel(),
                                                   st["plugin_state"].to(torch.uint8))
            off = 0
            for p in params:  # the gradients into the flat buffer (none: zero)
                k = p.numel()
                if p.grad is None:
                    g.grad[off:off + k].zero_()
                else:
                    g.grad[off:off + k].copy_(p.grad.reshape(-1))
                off += k
            st["step"] += 1
            rc = d.step(env, st["plugin_state"].data_ptr() or None, fptr,
                        ctypes.cast(g.grad.data_ptr(), ctypes.POINTER(ctypes.c_float)),
                        float(group["lr"]), st["step"])
            if rc:
                self._fail(f"step {st['step']}", rc, g)
        return loss

    @staticmethod
    def _aligned(nbytes, like=None):
        raw = torch.zeros(nbytes + ALIGN, dtype=torch.uint8)
        off = (-raw.data_ptr()) % ALIGN
        buf = raw[off:off + nbytes]
        if like is not None:
            buf.copy_(like)
        return buf
