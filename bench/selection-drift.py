#!/usr/bin/env python3
"""bench/selection-drift.py — which way the horizon bias points on the suite.

Reads what bench/selection.sh leaves in bench/out/selection (its grid-final
selections and the full runs) and prints, per task and optimizer, the
learning rate that wins the short trials and the one whose full run is
best.  With --prototype it also scores every candidate by the drift
correction described in docs/selection-quality.md (not built into
optselect) and prints Kendall's tau and the pick's regret beside `final`'s.

    bench/selection.sh -v grid-final      # once, to make the runs
    python3 bench/selection-drift.py [--prototype [--parabola]]

--parabola finds each horizon's best rate as refine does (the vertex of the
parabola in log(rate) through the lowest loss and its neighbours) instead
of the grid's argmin.
"""
import collections
import json
import math
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "selection")
TASKS = sorted(f[:-4] for f in os.listdir(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "selection")) if f.endswith(".ini"))


def kendall_tau_b(x, y):
    n, c, d, ux, uy = len(x), 0, 0, 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            dx = (x[i] > x[j]) - (x[i] < x[j])
            dy = (y[i] > y[j]) - (y[i] < y[j])
            ux += dx != 0
            uy += dy != 0
            if dx and dy:
                c, d = (c + 1, d) if dx == dy else (c, d + 1)
    return (c - d) / math.sqrt(ux * uy)


def val_at(curve, step):
    """The last validation loss measured at or before step."""
    got = None
    for p in curve:
        if p["step"] <= step and p["val_loss"] is not None:
            got = p["val_loss"]
    return got


def score_of(trial):
    return trial["score"] if trial["status"] == "ok" else math.inf


def vertex(lrs, scores):
    """log of the best rate: the parabola through the lowest finite score
    and its neighbours in log(rate), or that rate at an edge."""
    ok = [i for i, v in enumerate(scores) if v is not None and math.isfinite(v)]
    if not ok:
        return None
    w = min(ok, key=lambda i: scores[i])
    if w in (0, len(lrs) - 1) or w - 1 not in ok or w + 1 not in ok:
        return math.log(lrs[w])
    x0, x1, x2 = (math.log(lrs[i]) for i in (w - 1, w, w + 1))
    y0, y1, y2 = (scores[i] for i in (w - 1, w, w + 1))
    d01, d12 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    a = (d12 - d01) / (x2 - x0)
    if a <= 0:
        return x1
    return min(max(0.5 * (x0 + x1) - d01 / (2 * a), x0), x2)


def drift_scores(fam, steps, full_steps, parabola=False):
    """Per optimizer: the best rate at 1/4, 1/2 and all of the trial, a
    line through log(rate) against log(steps), extrapolated to the full
    run; each candidate scored by the trial's loss at its rate shifted back
    by that drift (linear in log(rate); +inf past the rates tried)."""
    pred = {}
    for opt, by_lr in fam.items():
        lrs = sorted(by_lr)
        hs, ls = [], []
        for frac in (0.25, 0.5, 1.0):
            h = max(1, int(steps * frac))
            at = [val_at(by_lr[lr]["curve"], h) if by_lr[lr]["status"] == "ok" else None
                  for lr in lrs]
            ok = [(v, lr) for v, lr in zip(at, lrs) if v is not None and math.isfinite(v)]
            if ok:
                hs.append(math.log(h))
                ls.append(vertex(lrs, at) if parabola else math.log(min(ok)[1]))
        beta = 0.0
        if len(hs) >= 2:
            mh, ml = sum(hs) / len(hs), sum(ls) / len(ls)
            den = sum((h - mh) ** 2 for h in hs)
            beta = sum((h - mh) * (l - ml) for h, l in zip(hs, ls)) / den if den else 0.0
        shift = beta * (math.log(full_steps) - math.log(steps))
        xs = [math.log(lr) for lr in lrs]
        ys = [score_of(by_lr[lr]) for lr in lrs]
        for lr in lrs:
            q = math.log(lr) - shift
            y = math.inf
            if abs(q - xs[0]) < 1e-9:
                y = ys[0]
            elif q >= xs[-1]:
                y = ys[-1]
            else:
                for i in range(len(xs) - 1):
                    if xs[i] <= q <= xs[i + 1]:
                        w = (q - xs[i]) / (xs[i + 1] - xs[i])
                        a, b = ys[i], ys[i + 1]
                        if math.isfinite(a) and math.isfinite(b):
                            y = a * (1 - w) + b * w
                        break
            pred[(opt, lr)] = y
    return pred


def main():
    prototype = "--prototype" in sys.argv[1:]
    for task in TASKS:
        path = os.path.join(OUT, task, "grid-final")
        v = json.load(open(os.path.join(path, "validation.json")))
        sel = json.load(open(os.path.join(path, "selection", "report.json")))
        full = {(r["optimizer"], r["lr"]): (r["score"] if r["status"] == "ok" else math.inf)
                for r in v["candidates_by_full_run"]}
        fam = collections.defaultdict(dict)
        for t in sel["trials"]:
            fam[t["optimizer"]][t["lr"]] = t
        counts = collections.Counter()
        lines = []
        for opt, by_lr in fam.items():
            ok = [lr for lr in by_lr if by_lr[lr]["status"] == "ok" and math.isfinite(full[(opt, lr)])]
            if not ok:
                continue
            trial_best = min(ok, key=lambda lr: by_lr[lr]["score"])
            full_best = min(ok, key=lambda lr: full[(opt, lr)])
            shift = math.log10(full_best / trial_best)
            counts["larger" if shift > 0.01 else "smaller" if shift < -0.01 else "same"] += 1
            lines.append("    %-8s trial's best %-9.3g full run's best %-9.3g (%+.2f decades)"
                         % (opt, trial_best, full_best, shift))
        print("%s: the full run's best rate is smaller in %d, larger in %d, the same in %d"
              % (task, counts["smaller"], counts["larger"], counts["same"]))
        print("\n".join(lines))
        if not prototype:
            continue
        best = min(full.values())
        pred = drift_scores(fam, sel["budget"]["steps"], v["full_steps"],
                            "--parabola" in sys.argv[1:])
        for name, score in (("final", lambda k: score_of(fam[k[0]][k[1]])),
                            ("drift", lambda k: pred[k])):
            keys = list(full)
            sc = [score(k) for k in keys]
            order = sorted(range(len(keys)), key=lambda i: (sc[i], i))
            rank = [0] * len(keys)
            for r, i in enumerate(order):
                rank[i] = r + 1 if math.isfinite(sc[i]) else len(keys) + 1
            pick = keys[order[0]]
            print("    %-6s tau %.3f, pick %s %.3g, regret %.2f%%"
                  % (name, kendall_tau_b(rank, [full[k] for k in keys]), pick[0], pick[1],
                     100 * (full[pick] - best) / best))


if __name__ == "__main__":
    main()
