#!/bin/sh
# [full] describes the real run (data, batch size, schedule, warm-up): the
# trials follow its schedule scaled to their length, every step gets the
# schedule's rate, validate trains the full runs as declared, and bad
# values are refused in one line.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"
fn="$top_srcdir/configs/rosenbrock.ini"

# SGD on (x^2 + 100 y^2)/2 from (1, 1): x after T steps is the product of
# (1 - lr_t), y of (1 - 100 lr_t): the path shows every step's rate.
Q="--quiet --format json --set model.function=quadratic --set search.optimizers=sgd \
--set optimizer.sgd.momentum=0 --set search.lr=0.005 --set search.steps=40 \
--set search.eval_every=10 --set search.refine=off --set full.steps=400"
# the closed forms of schedule.h, for a 40-step trial
expect() { # KIND WARMUP FLOOR -> "x y" after 40 steps
    awk -v kind="$1" -v W="$2" -v f="$3" 'BEGIN {
        T = 40; x = 1; y = 1; pi = atan2(0, -1)
        for (t = 1; t <= T; t++) {
            if (t <= W) g = t / W
            else {
                p = (t - 1 - W) / (T - W)
                if (kind == "cosine") g = f + (1 - f) * (1 + cos(pi * p)) / 2
                else if (kind == "linear") g = 1 - (1 - f) * p
                else if (kind == "wsd") g = p < 0.8 ? 1 : 1 - (1 - f) * (p - 0.8) / 0.2
                else if (kind == "step") { g = 1; if (p >= 0.5) g *= 0.1; if (p >= 0.75) g *= 0.1; if (g < f) g = f }
                else g = 1
            }
            x *= 1 - 0.005 * g; y *= 1 - 0.5 * g
        }
        printf "%.5g %.5g\n", x, y }'
}
for kind in constant cosine linear step wsd; do
    "$OPTSELECT" $Q --set full.schedule=$kind --set full.warmup=0.1 --set full.floor=0.05 \
        "$fn" >"$TMP/$kind.json"
    got=$(jq -r '.trials[0].path[40] | map(tostring) | join(" ")' "$TMP/$kind.json" |
          awk '{ printf "%.5g %.5g\n", $1, $2 }')
    # 400 steps with 40 of warm-up: the 40-step trial warms up for 4
    is "$got" "$(expect $kind 4 0.05)" "$kind: each step of the trial took the schedule's rate"
done
is "$(jq -c '.full_run.trials.follows | [.kind, .steps, .warmup]' "$TMP/cosine.json")" \
   '["cosine",40,4]' "the trial follows the full run's cosine, scaled to its 40 steps"
"$OPTSELECT" $Q --set full.schedule=cosine --set search.schedule=constant "$fn" >"$TMP/c.json"
is "$(jq -r '.trials[0].path[40] | map(tostring) | join(" ")' "$TMP/c.json" | awk '{ printf "%.5g %.5g\n", $1, $2 }')" \
   "$(expect constant 0 0)" "search.schedule = constant: the peak rate throughout"
"$OPTSELECT" $Q --set full.warmup=400 "$fn" 2>"$TMP/err" >/dev/null
is "$?" 3 "a warm-up as long as the run: a configuration error"

# the report says what the full run is and what the trials followed
"$OPTSELECT" --quiet --set full.epochs=3 --set full.batch_size=64 --set full.schedule=cosine \
    --set full.warmup=0.1 "$cfg" >"$TMP/r.txt"
grep -q "^full run: 69 steps, batch 64, on all 1438 training rows; cosine, 7 warm-up steps, down to 0$" "$TMP/r.txt"
ok $? "text: the full run's steps (3 epochs of 1438 rows at 64), rows and schedule"
grep -q "^schedule: the trials follow it, scaled to their 300 steps (cosine, 30 warm-up steps, down to 0); the rates are its peak$" "$TMP/r.txt"
ok $? "text: the trials' schedule"
"$OPTSELECT" --quiet "$cfg" >"$TMP/plain.txt"
grep -q "^full run: not declared, so the recommendation is for a run as long as a trial (300 steps); declare yours in \[full\]" "$TMP/plain.txt"
ok $? "without [full]: the report says the recommendation is for a trial-long run"
"$OPTSELECT" --quiet --format json "$cfg" | jq -e '.full_run.declared == false' >/dev/null
ok $? "  and the JSON says it is not declared"

# A constant schedule changes nothing: the same trials as without one.
G="--set search.strategy=grid"
"$OPTSELECT" --quiet --format json --set full.steps=900 $G "$cfg" | jq -c '.ranking' >"$TMP/k1"
"$OPTSELECT" --quiet --format json --set full.steps=900 --set search.schedule=constant \
    --set full.schedule=cosine $G "$cfg" | jq -c '.ranking' >"$TMP/k2"
cmp -s "$TMP/k1" "$TMP/k2"
ok $? "constant trials under a cosine full run rank as trials with no schedule"
"$OPTSELECT" --quiet --format json --set full.steps=900 --set full.schedule=cosine $G "$cfg" |
    jq -c '.ranking' >"$TMP/k3"
! cmp -s "$TMP/k1" "$TMP/k3"
ok $? "trials that follow the cosine train otherwise"
OMP_NUM_THREADS=1 "$OPTSELECT" --quiet --format json --threads 1 --set full.steps=900 \
    --set full.schedule=cosine $G "$cfg" | jq -c '.ranking' >"$TMP/k4"
cmp -s "$TMP/k3" "$TMP/k4"
ok $? "  the same on 1 thread as on 2"
"$OPTSELECT" --quiet --format json --set full.steps=900 --set full.schedule=wsd \
    --set search.strategy=halving "$cfg" | jq -c '.ranking' >"$TMP/h2"
OMP_NUM_THREADS=1 "$OPTSELECT" --quiet --format json --threads 1 --set full.steps=900 \
    --set full.schedule=wsd --set search.strategy=halving "$cfg" | jq -c '.ranking' >"$TMP/h1"
cmp -s "$TMP/h1" "$TMP/h2"
ok $? "  halving under a schedule: the same on 1 and 2 threads"

# validate trains the full runs as [full] declares them: all rows, its
# batch, its schedule; each is the study run at that length on that data.
V="--quiet --set search.optimizers=adam,rmsprop --set search.lr_points=3 --set search.lr_range=0.3,30 \
--set search.steps=100 --set full.steps=200 --set full.batch_size=48 --set full.schedule=linear \
--set full.warmup=20 --set full.floor=0.01"
"$OPTSELECT" validate $V --format json "$cfg" >"$TMP/v.json"
ok $? "validate with a declared full run runs"
"$OPTSELECT" $V --set data.subset=0 --set search.batch_size=48 --set search.steps=200 \
    --set search.score=last --set search.strategy=grid --format json "$cfg" >"$TMP/long.json"
is "$(jq -r '[.candidates_by_full_run[] | "\(.optimizer) \(.lr) \(.score)"] | join(";")' "$TMP/v.json")" \
   "$(jq -r '[.ranking[] | "\(.optimizer) \(.lr) \(.score)"] | join(";")' "$TMP/long.json")" \
   "the full runs are the study at 200 steps of 48 rows from all the training data, linear with warm-up"
is "$(jq -c '.full_run | [.rows, .batch_size, .schedule.kind, .schedule.warmup]' "$TMP/long.json")" \
   '[1438,48,"linear",20]' "  (that study followed the full run's own schedule)"
is "$(jq -r '.compute.fraction * 1e6 | round' "$TMP/v.json")" \
   "$(jq -r '.compute.selection_steps * 32 / (.compute.full_grid_steps * 48) * 1e6 | round' "$TMP/v.json")" \
   "compute counts rows: trial steps of 32 against full steps of 48"
"$OPTSELECT" validate $V --set full.data=subset --format json "$cfg" >"$TMP/vs.json"
"$OPTSELECT" $V --set search.batch_size=48 --set search.steps=200 --set search.score=last \
    --set search.strategy=grid --set data.subset_grow=false --format json "$cfg" >"$TMP/longs.json"
is "$(jq -r '[.candidates_by_full_run[] | .score] | join(";")' "$TMP/vs.json")" \
   "$(jq -r '[.ranking[] | .score] | join(";")' "$TMP/longs.json")" \
   "full.data = subset: the full runs train on the trials' 1000 rows"

# refusals, one line each naming the file or --set
refuse() { # WHAT PATTERN ARGS...
    what=$1 pat=$2
    shift 2
    run "$OPTSELECT" --quiet "$@" "$cfg"
    [ "$status" -eq 3 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- "$pat" "$TMP/err"
    ok $? "$what: $(cat "$TMP/err")"
}
refuse "a schedule without the run's length" "\[full\] a schedule needs the run's length" \
    --set full.schedule=cosine
refuse "a warm-up without the run's length" "\[full\] a warm-up needs the run's length" \
    --set full.warmup=10
refuse "an unknown schedule" "\[full\] schedule = 'exp'" --set full.steps=900 --set full.schedule=exp
refuse "a fractional warm-up over 1" "\[full\] warmup = 2.5: give whole steps" \
    --set full.steps=900 --set full.warmup=2.5
refuse "a warm-up that leaves nothing" "warmup of 900 steps leaves nothing of the full run's 900" \
    --set full.steps=900 --set full.warmup=900
refuse "milestones out of order" "\[full\] milestones = '0.7, 0.3'" --set full.steps=900 \
    --set full.schedule=step --set "full.milestones=0.7, 0.3"
refuse "a milestone at 1" "\[full\] milestones = '1'" --set full.steps=900 --set full.milestones=1
refuse "a floor above the peak" "\[full\] floor = '2'" --set full.steps=900 --set full.floor=2
refuse "a full batch larger than its rows" "\[full\] batch_size 5000 exceeds the full run's 1438 training rows" \
    --set full.steps=900 --set full.batch_size=5000
refuse "an unknown trial schedule" "\[search\] schedule = 'cosine'" --set search.schedule=cosine
refuse "full.data misspelt" "\[full\] data = 'everything'" --set full.data=everything
# subset_grow: trials that would pass over the subset more often than the
# full run passes over its data draw from more rows, in proportion
"$OPTSELECT" --quiet --format json --set full.epochs=1 --set search.strategy=grid "$cfg" >"$TMP/g.json"
is "$(jq -c '.full_run | [.steps, .trial_rows, .subset_grown_from]' "$TMP/g.json")" '[45,1438,1000]' \
   "300-step trials against a 45-step full run draw from all 1438 rows, not the subset's 1000"
"$OPTSELECT" --quiet --set full.epochs=1 --set search.strategy=grid "$cfg" |
    grep -q "^trials: drawn from 1438 rows, not the subset's 1000, so that they pass over their rows no more often"
ok $? "  and the text says so"
"$OPTSELECT" --quiet --format json --set full.epochs=40 --set search.strategy=grid "$cfg" >"$TMP/g40.json"
is "$(jq -c '.full_run | [.trial_rows, .subset_grown_from]' "$TMP/g40.json")" '[1000,0]' \
   "against a 40-epoch full run the subset is enough"
"$OPTSELECT" --quiet --format json --set full.steps=600 --set search.strategy=grid "$cfg" >"$TMP/g600.json"
is "$(jq -c '.full_run.trial_rows' "$TMP/g600.json")" 1000 "  300 of 600 steps: half of 1438 rows < 1000"
"$OPTSELECT" --quiet --format json --set full.steps=400 --set search.strategy=grid "$cfg" >"$TMP/g400.json"
is "$(jq -c '.full_run.trial_rows' "$TMP/g400.json")" 1079 "  300 of 400 steps: ceil(1438 x 3/4) = 1079 rows"
"$OPTSELECT" --quiet --format json --set full.epochs=1 --set search.strategy=grid \
    --set data.subset_grow=false "$cfg" | jq -c '.full_run | [.trial_rows, .subset_grown_from]' |
    grep -qx '\[1000,0\]'
ok $? "subset_grow = false: the subset as given"
"$OPTSELECT" --quiet --format json --set full.epochs=1 --set search.strategy=grid \
    --set full.data=subset "$cfg" | jq -c '.full_run.trial_rows' | grep -qx 1000
ok $? "a full run on the subset: the subset"
! cmp -s "$TMP/g.json" "$TMP/g40.json"
ok $? "a grown pool trains other trials"
done_testing
