#!/bin/sh
# [trainer] command studies: optselect runs the user's training program
# for each trial and reads its curve from the protocol lines it prints
# (docs/trainers.md).  The program here is tests/trainer/toy_trainer, which
# trains a noisy quadratic with sgd, adam or rmsprop and misbehaves on
# request (an optimizer named after the fault).
. "${top_srcdir:-.}/tests/lib.sh"
TOY=$(cd "$top_builddir" && pwd)/tests/trainer/toy_trainer
cat >"$TMP/study.ini" <<INI
[trainer]
command = $TOY
    --optimizer {optimizer} --lr {lr} --steps {steps} --seed {seed}
    --every {eval_every} --checkpoint {checkpoint} --hparams {hparams}

[search]
optimizers = sgd, adam, rmsprop
lr_points = 5
steps = 90
eval_every = 10
INI
J="--quiet --format json"

run "$OPTSELECT" $J "$TMP/study.ini"
ok $status "a command study runs"
cp "$TMP/out" "$TMP/grid.json"
q() { jq -r "$1" "$TMP/grid.json"; }
is "$(q '.trainer.command | startswith("'"$TOY"'")')" true "the report names the command"
is "$(q '[.trials[] | select(.status == "ok")] | length')" 13 \
    "13 of the 15 trials finish"
is "$(q '[.trials[] | select(.status == "diverged") | "\(.optimizer) \(.lr)"] | join(",")')" \
    "sgd 0.1,sgd 1" "... and sgd diverges at its two largest rates"
is "$(q '.recommendation | "\(.optimizer) \(.lr)"')" "adam 0.1" "adam at 0.1 wins"
"$OPTSELECT" $J --threads 1 "$TMP/study.ini" >"$TMP/one.json"
"$OPTSELECT" $J --threads 3 "$TMP/study.ini" >"$TMP/three.json"
cmp -s "$TMP/one.json" "$TMP/grid.json" && cmp -s "$TMP/three.json" "$TMP/grid.json"
ok $? "the same report on 1, 2 and 3 threads (trials as 1, 2 or 3 processes at once)"

# successive halving: a promoted trial continues from its checkpoint ...
run "$OPTSELECT" $J --set search.strategy=halving "$TMP/study.ini"
cp "$TMP/out" "$TMP/halving.json"
best=$(jq -r '.recommendation | "\(.optimizer) \(.lr)"' "$TMP/halving.json")
grid_score=$(jq -r --arg b "$best" '.trials[] | select("\(.optimizer) \(.lr)" == $b) | .score' \
             "$TMP/grid.json")
is "$(jq -r '.recommendation.score' "$TMP/halving.json")" "$grid_score" \
    "halving: the winner's score equals its grid trial's (continued from its checkpoint)"
is "$(jq -r '.compute.steps_run_again' "$TMP/halving.json")" 0 "... and nothing ran twice"
# ... or, when the command takes none, runs again from step 0, and says so
sed 's/ --checkpoint {checkpoint}//' "$TMP/study.ini" >"$TMP/nockpt.ini"
run "$OPTSELECT" --quiet --set search.strategy=halving "$TMP/nockpt.ini"
grep -q "the trainer takes no {checkpoint}, so every promoted trial ran again from step 0" \
    "$TMP/out"
ok $? "without {checkpoint}: the compute line says promoted trials ran again from 0"
"$OPTSELECT" $J --set search.strategy=halving "$TMP/nockpt.ini" >"$TMP/nockpt.json"
is "$(jq -r '.recommendation.score' "$TMP/nockpt.json")" "$grid_score" \
    "... with the same winner and score"
[ "$(jq -r '.compute.steps_run_again' "$TMP/nockpt.json")" -gt 0 ]
ok $? "... and the report counts the steps run again"

# the values reach the program as arguments and as OPTSELECT_ variables
cat >"$TMP/vars.ini" <<'INI'
[trainer]
command = sh -c 'echo "args $*";
    echo "env $OPTSELECT_OPTIMIZER $OPTSELECT_LR $OPTSELECT_MOMENTUM $OPTSELECT_STEPS $OPTSELECT_SEED $OMP_NUM_THREADS";
    echo "dir $(pwd)"; echo "optselect: step=$OPTSELECT_STEPS val_loss=1"'
    sh {optimizer} {lr} {momentum} "{hparams}" "a b{{}}"
threads = 3
workdir = sub

[search]
optimizers = sgd
lr = 0.25
steps = 7

[optimizer.sgd]
momentum = 0.5
INI
mkdir -p "$TMP/sub"
run "$OPTSELECT" --quiet -o "$TMP/vars" "$TMP/vars.ini"
ok $status "a shell command runs"
log="$TMP/vars/trials/t0/log"
grep -q "^args sgd 0.25 0.5 momentum=0.5,.* a b{}$" "$log"
ok $? "placeholders become arguments, each one word: {optimizer} {lr} {momentum} {hparams}"
grep -q "^env sgd 0.25 0.5 7 1 3$" "$log"
ok $? "... and OPTSELECT_ variables, with OMP_NUM_THREADS from [trainer] threads"
grep -q "^dir $(cd "$TMP/sub" && pwd -P)$" "$log"
ok $? "the command runs in [trainer] workdir"
grep -q "^# optselect: run 1, steps 0 to 7: sh -c " "$log"
ok $? "the log starts with the command as it ran"

# every placeholder has a value in a run, and docs/trainers.md lists it
names=$(sed -n 's/^    { "\([a-z_]*\)", ".*/\1/p' "$top_srcdir/selector/config/command.c")
all=""
missing=""
i=0
for p in $names; do
    i=$((i + 1))
    all="$all $p={$p}"
    [ $((i % 5)) -eq 0 ] && all="$all
   "
    grep -q "{$p}" "$top_srcdir/docs/trainers.md" || missing="$missing $p"
done
is "$missing" "" "docs/trainers.md lists every placeholder"
printf '[trainer]\ncommand = sh -c '"'"'echo "$*"; echo "optselect: step=$OPTSELECT_STEPS val_loss=1"'"'"' sh %s\n[search]\noptimizers = sgd\nlr = 0.1\nsteps = 5\nstrategy = grid\n[full]\nsteps = 20\nschedule = step\n' "$all" >"$TMP/all.ini"
run "$OPTSELECT" --quiet -o "$TMP/all" "$TMP/all.ini"
ok $status "a command with every placeholder runs"
grep -q "^optimizer=sgd label=sgd lr=0.1 steps=5 start_step=0 total_steps=5 seed=1 seed_index=0 trial=0 batch_size=64 eval_every=25 schedule=step warmup=0 floor=0 decay=0.2 gamma=0.1 milestones=3,4 trial_dir=$TMP/all/trials/t0 checkpoint=$TMP/all/trials/t0/checkpoint hparams=momentum=0,dampening=0,weight_decay=0,nesterov=0 threads=1$" "$TMP/all/trials/t0/log"
ok $? "... each with its value"

# the ten-line example of docs/trainers.md is a trainer
if command -v python3 >/dev/null; then
    awk '/^```python/ { n++; if (n == 1) { on = 1; next } } /^```/ { on = 0 } on' \
        "$top_srcdir/docs/trainers.md" >"$TMP/ten.py"
    printf '[trainer]\ncommand = python3 ten.py --lr {lr} --steps {steps}\n[search]\noptimizers = sgd\nlr = 0.01, 0.1, 0.3, 1.5\nsteps = 30\n' >"$TMP/ten.ini"
    run "$OPTSELECT" --format json "$TMP/ten.ini"
    is "$(jq -r '.recommendation.lr' "$TMP/out"),$(jq -r '[.trials[] | .status] | join(",")' "$TMP/out")" \
        "0.3,ok,ok,ok,diverged" "the ten-line example of docs/trainers.md is a trainer"
else
    ok 0 "# SKIP no python3 for the example of docs/trainers.md"
fi

# every edge case of the protocol fails, or diverges, its own trial only
cat >"$TMP/faults.ini" <<INI
[trainer]
command = $TOY
    --optimizer {optimizer} --lr {lr} --steps {steps} --every 10 --checkpoint {checkpoint}

[search]
optimizers = sgd, crash, hang, nan, garbage, silent, exit3, badline, short, badckpt, past, backwards, explode, json, nosuch
lr = 0.01
strategy = halving
steps = 90
min_steps = 10
reduction_factor = 3
trial_timeout = 1
INI
run "$OPTSELECT" $J --threads 2 -o "$TMP/faults" "$TMP/faults.ini"
ok $status "a study with every kind of misbehaving trainer ends"
cp "$TMP/out" "$TMP/faults.json"
st() { jq -r --arg o "$1" '.trials[] | select(.optimizer == $o) | "\(.status): \(.message)"' \
         "$TMP/faults.json"; }
case "$(st crash)" in "failed: the trainer was killed by signal 11 (SIGSEGV) after step 0"*) r=0 ;; *) r=1 ;; esac
ok $r "a crash: failed, naming the signal"
is "$(st hang)" "failed: timed out: still running after trial_timeout = 1 s (step 0)" \
    "a hang: timed out, its process group killed"
is "$(st nan)" "diverged: the trainer reported val_loss = nan at step 10" "a NaN: diverged"
case "$(st explode)" in "diverged: val_loss "*" exceeded 4 × its first, "*", at step 10") r=0 ;; *) r=1 ;; esac
ok $r "an exploding loss: diverged"
case "$(st silent)" in "failed: the trainer printed no loss: not one line 'optselect: step=N val_loss=X'"*) r=0 ;; *) r=1 ;; esac
ok $r "a program that prints nothing: failed, saying so"
is "$(st exit3)" "failed: the trainer exited with status 3 after step 0: toy_trainer: giving up halfway" \
    "an exit status: failed, with the program's last line on standard error"
is "$(st badline)" "failed: line 4 of the trainer's output: val_loss=abc is not a number" \
    "a malformed protocol line: failed, naming the line"
case "$(st short)" in "failed: the trainer exited at step 0 of the 10 asked for ({steps})"*) r=0 ;; *) r=1 ;; esac
ok $r "a program that stops early: failed"
case "$(st badckpt)" in "failed: the trainer exited with status 1 after step 0: toy_trainer: cannot read checkpoint "*) r=0 ;; *) r=1 ;; esac
ok $r "a checkpoint that cannot be read: failed, with the program's reason"
is "$(jq -r '.trials[] | select(.optimizer == "badckpt") | .steps' "$TMP/faults.json")" 10 \
    "... after its first budget, the one it reached"
is "$(st past)" "failed: the trainer reported step 15, past the 10 steps it was asked for ({steps})" \
    "a step past the budget: failed"
is "$(st backwards)" "failed: the trainer reported step 5 after step 10" "a step going back: failed"
is "$(st garbage | cut -d: -f1),$(st json | cut -d: -f1)" "ok,ok" \
    "garbage lines go to the log; JSON lines are read like the protocol's"
grep -q "loss?? {not json" "$TMP/faults/trials/t4/log"
ok $? "... the garbage is in the trial's log"
is "$(jq -r '.recommendation.optimizer' "$TMP/faults.json")" sgd "the study still recommends"
sleep 0.2
pgrep -f "$TOY --optimizer hang" >/dev/null
ok $((!$?)) "no trainer is left running"

# resumed after SIGKILL: the finished trials are kept, the rest run, and
# the report is the uninterrupted one's
sed 's/--hparams {hparams}/--delay 10/' "$TMP/study.ini" >"$TMP/slow.ini"
"$OPTSELECT" $J --threads 2 "$TMP/slow.ini" >"$TMP/slow.json"
"$OPTSELECT" $J --threads 2 -o "$TMP/res" "$TMP/slow.ini" >/dev/null 2>&1 &
kill_at_journal "$TMP/res" 4 $!
n=$(journal_trials "$TMP/res")
[ "$n" -ge 3 ] && [ "$n" -lt 15 ]
ok $? "killed with $n of 15 trials in the journal"
run "$OPTSELECT" --format json --threads 2 -o "$TMP/res" "$TMP/slow.ini"
grep -q "resuming: $n of 15 trials already finished" "$TMP/err"
ok $? "the second run resumes them"
jq -S 'del(.trainer.trials)' "$TMP/out" >"$TMP/res.norm"
jq -S 'del(.trainer.trials)' "$TMP/slow.json" | cmp -s - "$TMP/res.norm"
ok $? "... and reports what one run reports"
is "$(journal_twice "$TMP/res")" 0 "no trial is in the journal twice"

# an edited training script is another study: its journal is not resumed
printf 'echo "optselect: step=$1 val_loss=0.5"\n' >"$TMP/train.sh"
printf '[trainer]\ncommand = sh train.sh {steps}\n[search]\noptimizers = sgd\nlr = 0.1\nsteps = 3\n' >"$TMP/script.ini"
"$OPTSELECT" --quiet -o "$TMP/script" "$TMP/script.ini" >/dev/null
run "$OPTSELECT" --quiet -o "$TMP/script" "$TMP/script.ini"
ok $status "the same script: the study resumes from its journal"
printf 'echo "optselect: step=$1 val_loss=0.25"\n' >"$TMP/train.sh"
run "$OPTSELECT" --quiet -o "$TMP/script" "$TMP/script.ini"
is "$status,$(cat "$TMP/err")" "3,optselect: $TMP/script/journal: the journal belongs to a different study (another config, --set, plugin or training script); use another --output folder, or remove it to start over" \
    "an edited script: the journal is refused as another study's"

# Ctrl-C: running trainers are killed, their trials interrupted
"$OPTSELECT" --quiet -o "$TMP/int" "$TMP/slow.ini" >"$TMP/int.txt" 2>&1 &
pid=$!
wait_journal "$TMP/int" 2 "$pid"
kill -INT "$pid"
wait "$pid"
is $? 130 "SIGINT ends the study with status 130"
sleep 0.2
pgrep -f "$TOY --optimizer .* --delay 10" >/dev/null
ok $((!$?)) "... and its running trainers"

# validate: full runs are the same command with the full budget
run "$OPTSELECT" validate --quiet --format json -o "$TMP/val" --set full.steps=270 \
    --set search.strategy=halving "$TMP/study.ini"
ok $status "validate runs the full runs of a command study"
is "$(jq -r '.full_steps' "$TMP/val/validation.json")" 270 "... of [full] steps"
ls "$TMP/val/full/trials/t0/log" >/dev/null 2>&1
ok $? "... each a trial of the command with a log"

# without --output the trials' folders live in a temporary folder, removed
mkdir "$TMP/tmpdir"
TMPDIR="$TMP/tmpdir" "$OPTSELECT" --quiet "$TMP/study.ini" >/dev/null
is "$(ls -A "$TMP/tmpdir")" "" "without --output the trials' temporary folder is removed"

# the trainer's own optimizer beside a variant of a plugin (a study like this
# crashed the config reader), and JSON lines as Python's json.dumps writes
# them, NaN and Infinity in members of the program's own and in strings
cat >"$TMP/json_trainer" <<'SH'
#!/bin/sh
if [ "$1" = adam ]; then
    echo '{"step": 0, "val_loss": NaN, "grad_norm": NaN}'
    exit 0
fi
echo '{"step": 0, "val_loss": 2.0, "grad_norm": NaN, "seen": Infinity, "note": "NaN NaN NaN NaN"}'
echo "{\"step\": $2, \"val_loss\": 0.5, \"grad_norm\": NaN, \"ratio\": -Infinity}"
SH
chmod +x "$TMP/json_trainer"
cat >"$TMP/own.ini" <<INI
[trainer]
command = $TMP/json_trainer {optimizer} {steps} {lr}
[search]
optimizers = mine, variant
steps = 10
eval_every = 10
[optimizer.mine]
lr = 0.1, 0.01
[optimizer.variant]
plugin = adam
lr = 0.001
INI
run "$OPTSELECT" $J "$TMP/own.ini"
ok $status "the trainer's own optimizer beside a variant of a plugin: the study runs"
is "$(jq -r '[.trials[] | "\(.optimizer) \(.status) \(.score)"] | join(", ")' "$TMP/out")" \
    "mine ok 0.5, mine ok 0.5, variant diverged null" \
    "JSON lines with NaN and Infinity: read as numbers, a NaN loss diverges"
is "$(jq -r '.trials[] | select(.optimizer == "variant") | .message' "$TMP/out")" \
    "the trainer reported val_loss = nan at step 0" "... and says where"

# a long command: its results folder's config.ini keeps every line within
# what the reader takes (a 150-character word after 95 columns was written
# on one line of over 250, and the folder could neither be rerun nor resumed)
long=/$(printf 'd%.0s' $(seq 1 150))/train.py
cat >"$TMP/long.ini" <<INI
[trainer]
command = sh -c "echo optselect: step={steps} val_loss={lr}" --flag-of-thirty-characters-abc
    $long {seed}
[search]
optimizers = sgd
lr = 0.1, 0.2
steps = 10
eval_every = 10
INI
run "$OPTSELECT" $J -o "$TMP/long" "$TMP/long.ini"
ok $status "a study with a long command runs"
is "$(awk 'length($0) > 198' "$TMP/long/config.ini" | wc -l)" 0 \
    "... and its config.ini has no line longer than 198 characters"
run "$OPTSELECT" $J "$TMP/long/config.ini"
is "$status $(jq -r '.trainer.command' "$TMP/out")" \
   "0 $(jq -r '.trainer.command' "$TMP/long/report.json")" "... which runs the same command again"
run "$OPTSELECT" $J --resume "$TMP/long"
ok $status "... and resumes"

# config errors: one line naming the file and line
bad() { # NAME WANT: the config in $TMP/bad.ini fails with WANT
    run "$OPTSELECT" "$TMP/bad.ini" "$@"
    got=$(cat "$TMP/err")
    [ $status -eq 3 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ]
    ok $? "$name: exit 3, one line"
    is "$got" "$want" "$name: the message"
}
printf '[trainer]\ncommand = %s --lr {lr} --m {momentun}\n[search]\noptimizers = sgd\n' "$TOY" >"$TMP/bad.ini"
name="a misspelt placeholder" want="optselect: $TMP/bad.ini:2: [trainer] command: unknown placeholder {momentun} (did you mean 'momentum'?) (see docs/trainers.md)" bad
printf '[trainer]\ncommand = %s --m {momentum}\n[search]\noptimizers = sgd, adam\n' "$TOY" >"$TMP/bad.ini"
name="a hyperparameter one optimizer lacks" want="optselect: $TMP/bad.ini:2: [trainer] command: {momentum}: optimizer adam has no hyperparameter momentum; pass the ones that differ between optimizers with {hparams}" bad
printf '[trainer]\ncommand = %s\n[search]\noptimizers = Adam\n' "$TOY" >"$TMP/bad.ini"
name="the trainer's own name without rates" want="optselect: $TMP/bad.ini:4: optimizer 'Adam' is the trainer's own (no plugin has that name), so it has no default rate for lr_range to multiply: give its rates, e.g. [optimizer.Adam] lr = 1e-4, 1e-3, 1e-2" bad
printf '[trainer]\ncommand = ./no-such-trainer {lr}\n[search]\noptimizers = sgd\n' >"$TMP/bad.ini"
name="a program that cannot run" want="optselect: $TMP/bad.ini:2: [trainer] command: cannot run './no-such-trainer': No such file or directory" bad
printf '[trainer]\ncommand = %s "{lr}\n[search]\noptimizers = sgd\n' "$TOY" >"$TMP/bad.ini"
name="an unclosed quote" want="optselect: $TMP/bad.ini:2: [trainer] command: an unclosed \" quote" bad
printf '[model]\nhidden = 8\n[trainer]\ncommand = %s\n[search]\noptimizers = sgd\n' "$TOY" >"$TMP/bad.ini"
name="a [model] key" want="optselect: $TMP/bad.ini:2: [model] hidden: a [trainer] command trains its own model on its own data; remove the key" bad
printf '[trainer]\ncommand = %s\n[search]\noptimizers = sgd\nisolation = process\n' "$TOY" >"$TMP/bad.ini"
name="isolation = process" want="optselect: $TMP/bad.ini:5: [search] isolation: a [trainer] command's trials are processes already; remove the key" bad
printf '[trainer]\ncommand = %s\n[search]\noptimizers = sgd\nlr = auto\n' "$TOY" >"$TMP/bad.ini"
name="lr = auto" want="optselect: $TMP/bad.ini:4: lr = auto runs a range test on optselect's own model; with a [trainer] command give the rates" bad
printf '[trainer]\ncomand = x\n[search]\noptimizers = sgd\n' >"$TMP/bad.ini"
name="a misspelt [trainer] key" want="optselect: $TMP/bad.ini:2: [trainer] unknown key 'comand' (did you mean 'command'?)" bad

done_testing
