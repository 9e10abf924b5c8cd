#!/usr/bin/env python3
"""Replays successive-halving variants offline on the selection suite.

For each task, a grid of every candidate trained to the default's top
budget (1/3 of the full run) on both selection seeds, with a validation
measurement at every step a variant reads (bench/selection-grids.sh makes
them), is cut at each variant's rungs exactly as the halving strategy would
cut it: promoted trials continue, so a rung's score is the grid trial's
validation loss at that step.  Each variant's ranking is then judged against
the task's cached full runs (bench/out/selection/TASK/*/validation.json, from
bench/selection.sh) by Kendall's tau-b, the recommendation's regret and the
compute in steps, as `optselect validate` judges a selection.

    bench/selection-replay.py GRIDS_DIR [SEED]

SEED (0 or 1) is the selection's seed; the other one is what the noise
check's reruns would add.  Prints one line per variant: the medians over the
tasks (and the mean tau), then each task's numbers.
"""
import glob
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TASKS = ['digits-mlp-500', 'digits-mlp-3000', 'digits-regression',
         'fmnist-softmax-cosine-1ep', 'fmnist-softmax-cosine-5ep', 'fmnist-mlp-3ep',
         'fmnist-cnn', 'fmnist-tanh-cosine', 'fmnist-mlp-10ep']


def key(t):
    return (t['optimizer'], repr(t['lr']), json.dumps(t['hparams'], sort_keys=True))


def load(grids, task):
    g = json.load(open(os.path.join(grids, task + '.json')))
    v = json.load(open(sorted(glob.glob(os.path.join(HERE, 'out/selection', task,
                                                     '*/validation.json')))[0]))
    truth = {key(c): c['score'] if c['status'] == 'ok' else math.inf
             for c in v['candidates_by_full_run']}
    cands = {}
    for t in g['trials']:
        cands.setdefault(key(t), {})[t['seed']] = t
    order = sorted(cands, key=lambda k: min(t['id'] for t in cands[k].values()))
    return dict(task=task, T=g['budget']['steps'], full=v['full_steps'], cands=cands,
                truth=truth, order=order)


def score_at(t, b):
    """The trial's validation loss at step b; inf when it stopped before."""
    if t['status'] != 'ok' and t['steps'] < b:
        return math.inf
    at = [p['val_loss'] for p in t['curve'] if p['step'] == b]
    if not at:
        sys.exit('%s: no measurement at step %d: the grid needs one at every budget' %
                 (t['optimizer'], b))
    return at[0] if at[0] is not None and math.isfinite(at[0]) else math.inf


def ladder(T, eta, first):
    """optselect's budgets from min_steps: T, T/eta, ... down to first."""
    out, b = [], float(T)
    while True:
        r = int(math.floor(b + 0.5))
        if out and (r < first or r >= out[-1]):
            break
        out.append(r)
        b /= eta
        if r <= first:
            break
    return out[::-1]


def rungs(T, fractions):
    """optselect's budgets from [search] rungs."""
    out = []
    for i, f in enumerate(fractions):
        b = T if i + 1 == len(fractions) else int(math.floor(f * T + 0.5))
        if b >= 1 and (not out or b > out[-1]):
            out.append(b)
    return out


def halving(task, budgets, eta, seed, rerun=0):
    """Synchronous successive halving keeping ceil(n / eta) at each rung; the
    ranking puts those that went further first.  rerun: the noise check,
    the best `rerun` at the top budget (and any that rise into them) get the
    other seed too and rank by the mean."""
    cands, order = task['cands'], task['order']
    alive, reached, sc, cost, prev = list(order), {}, {}, 0, 0
    for r, b in enumerate(budgets):
        for k in alive:
            sc[k] = score_at(cands[k][seed], b)
            reached[k] = b
            cost += b - prev
        prev = b
        if r + 1 == len(budgets):
            break
        ranked = sorted(alive, key=lambda k: (sc[k], order.index(k)))
        alive = sorted([k for k in ranked[:-(-len(alive) // eta)] if math.isfinite(sc[k])]
                       or ranked[:1], key=order.index)
    ok = {k: math.isfinite(sc[k]) for k in sc}
    if rerun:
        top = [k for k in alive if ok[k]]
        mean, done = dict((k, sc[k]) for k in top), set()
        while True:
            new = [k for k in sorted(top, key=lambda k: (mean[k], order.index(k)))[:rerun]
                   if k not in done]
            if not new:
                break
            for k in new:
                mean[k] = (sc[k] + score_at(cands[k][1 - seed], budgets[-1])) / 2
                done.add(k)
                cost += budgets[-1]
        sc.update(mean)
        ok.update({k: math.isfinite(mean[k]) for k in mean})
    ranking = sorted(order, key=lambda k: (not ok[k], -reached[k], sc[k], order.index(k)))
    return [(k, ok[k]) for k in ranking], cost


def tau_b(x, y):
    c = d = tx = ty = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            dx = (x[i] > x[j]) - (x[i] < x[j])
            dy = (y[i] > y[j]) - (y[i] < y[j])
            if dx and dy:
                c, d = (c + 1, d) if dx == dy else (c, d + 1)
            elif dx:
                ty += 1
            elif dy:
                tx += 1
    den = math.sqrt((c + d + tx) * (c + d + ty))
    return (c - d) / den if den else float('nan')


def judge(task, ranking, cost):
    n = len(task['order'])
    place = {k: (i + 1 if ok else n + 1) for i, (k, ok) in enumerate(ranking)}
    tau = tau_b([place[k] for k in task['order']], [task['truth'][k] for k in task['order']])
    regret = task['truth'][ranking[0][0]] / min(task['truth'].values()) - 1
    return tau, regret, cost / (n * task['full'])


VARIANTS = [
    ('ladder eta 3 from T/9 (the default to 2026-12-05)', lambda T: ladder(T, 3, T // 9), 3, 0),
    ('  the same + noise check of the best 2', lambda T: ladder(T, 3, T // 9), 3, 2),
    ('ladder eta 4 from T/16', lambda T: ladder(T, 4, T // 16), 4, 0),
    ('ladder eta 2 from T/8', lambda T: ladder(T, 2, T // 8), 2, 0),
    ('rungs 1/4, 1, the best 3 (a grid at 1/4, then 3)', lambda T: rungs(T, [0.25, 1]), 17, 0),
    ('rungs 1/8, 1/2, 1, eta 4 (the default)', lambda T: rungs(T, [0.125, 0.5, 1]), 4, 0),
    ('rungs 1/8, 1/2, 1, eta 3', lambda T: rungs(T, [0.125, 0.5, 1]), 3, 0),
    ('rungs 1/8, 1/2, 1, eta 5', lambda T: rungs(T, [0.125, 0.5, 1]), 5, 0),
    ('rungs 1/6, 1/2, 1, eta 4', lambda T: rungs(T, [1 / 6, 0.5, 1]), 4, 0),
    ('rungs 1/9, 1/2, 1, eta 4', lambda T: rungs(T, [1 / 9, 0.5, 1]), 4, 0),
    ('rungs 1/8, 1/3, 1, eta 4', lambda T: rungs(T, [0.125, 1 / 3, 1]), 4, 0),
]


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main():
    grids = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    tasks = [load(grids, t) for t in TASKS]
    rows = {}
    for name, bud, eta, rerun in VARIANTS:
        rows[name] = [judge(t, *halving(t, bud(t['T']), eta, seed, rerun)) for t in tasks]
        r = rows[name]
        print('%-50s tau %.3f (mean %.3f)  regret %6.2f%%  compute %4.1f%% (at most %4.1f%%)'
              '  regret <= 2%%: %d/%d' % (
                  name, median([x[0] for x in r]), sum(x[0] for x in r) / len(r),
                  100 * median([x[1] for x in r]), 100 * median([x[2] for x in r]),
                  100 * max(x[2] for x in r), sum(x[1] <= 0.02 for x in r), len(r)))
    for i, t in enumerate(tasks):
        print(t['task'])
        for name in rows:
            tau, regret, compute = rows[name][i]
            print('    %-48s tau %.3f  regret %7.2f%%  compute %.1f%%' % (
                name, tau, 100 * regret, 100 * compute))


if __name__ == '__main__':
    main()
