#!/bin/sh
# Same seed, same report, whatever the thread count; another seed, another
# report.
. "${top_srcdir:-.}/tests/lib.sh"
cfg="$top_srcdir/configs/quickstart.ini"

OMP_NUM_THREADS=1 "$OPTSELECT" --format json "$cfg" >"$TMP/t1.json"
ok $? "quickstart runs on 1 thread"
OMP_NUM_THREADS=2 "$OPTSELECT" --format json "$cfg" >"$TMP/t2.json"
ok $? "quickstart runs on 2 threads"
"$OPTSELECT" --threads 3 --format json "$cfg" >"$TMP/t3.json"
ok $? "quickstart runs on 3 threads"
cmp -s "$TMP/t1.json" "$TMP/t2.json"
ok $? "JSON is byte-identical with OMP_NUM_THREADS=1 and 2"
cmp -s "$TMP/t1.json" "$TMP/t3.json"
ok $? "JSON is byte-identical with --threads 3"
"$OPTSELECT" --seed 2 --format json "$cfg" >"$TMP/s2.json"
cmp -s "$TMP/t1.json" "$TMP/s2.json"
is $? 1 "another seed gives another report"
"$OPTSELECT" --threads 2 --format csv "$cfg" >"$TMP/c2.csv" &&
    OMP_NUM_THREADS=1 "$OPTSELECT" --format csv "$cfg" >"$TMP/c1.csv"
cmp -s "$TMP/c1.csv" "$TMP/c2.csv"
ok $? "CSV is byte-identical with 1 and 2 threads"
# halving whose early rungs measure a sample of the validation rows
for j in 1 2 3; do
    "$OPTSELECT" --threads $j --set search.strategy=halving --set search.eval_sample=150 \
        --format json "$cfg" >"$TMP/sample$j.json"
done
cmp -s "$TMP/sample1.json" "$TMP/sample2.json" && cmp -s "$TMP/sample1.json" "$TMP/sample3.json"
ok $? "halving with eval_sample: JSON is byte-identical on 1, 2 and 3 threads"
is "$(jq .data.validation_sample_rows "$TMP/sample1.json")" 150 "  and it measured the sample"

# A CNN (the first convolution, one channel, in conv_direct.c's kernels and
# the second, channels in eights, its forward in Winograd's form
# (conv_winograd.c, one 4x4 tile) where the CPU has AVX2 and FMA, both
# gradients under pooling from dY's nonzeros in conv_sparse.c's, else
# lowered or in oneDNN; pooling that records its argmax) on the bundled 8x8
# digits: the same report on 1, 2 and 3 threads, with halving and with split
# steps too.
cnn="--set model.conv=8:3:1,8:3:1 --set model.image=1x8x8 --set model.pool=2 --set search.lr_points=3"
for j in 1 2 3; do
    "$OPTSELECT" --threads $j $cnn --format json "$cfg" >"$TMP/cnn$j.json"
    "$OPTSELECT" --threads $j $cnn --set search.strategy=halving --set search.batch_split=2 \
        --format json "$cfg" >"$TMP/cnnh$j.json"
    "$OPTSELECT" --threads $j $cnn --set search.strategy=halving --set search.eval_sample=100 \
        --format json "$cfg" >"$TMP/cnns$j.json"
done
cmp -s "$TMP/cnn1.json" "$TMP/cnn2.json" && cmp -s "$TMP/cnn1.json" "$TMP/cnn3.json"
ok $? "a CNN: JSON is byte-identical on 1, 2 and 3 threads"
cmp -s "$TMP/cnnh1.json" "$TMP/cnnh2.json" && cmp -s "$TMP/cnnh1.json" "$TMP/cnnh3.json"
ok $? "a CNN with halving and split steps: byte-identical on 1, 2 and 3 threads"
cmp -s "$TMP/cnns1.json" "$TMP/cnns2.json" && cmp -s "$TMP/cnns1.json" "$TMP/cnns3.json"
ok $? "a CNN with halving on a validation sample: byte-identical on 1, 2 and 3 threads"
# Without pooling the second convolution's dX is dense: Winograd's form
# takes it too (the forward of the transposed layer), where the CPU has AVX2.
for j in 1 2 3; do
    "$OPTSELECT" --threads $j $cnn --set model.pool=1 --set search.strategy=halving \
        --format json "$cfg" >"$TMP/cnnp$j.json"
done
cmp -s "$TMP/cnnp1.json" "$TMP/cnnp2.json" && cmp -s "$TMP/cnnp1.json" "$TMP/cnnp3.json"
ok $? "a CNN without pooling, with halving: byte-identical on 1, 2 and 3 threads"
is "$(jq -r '[.ranking[] | select(.status == "ok")] | length > 6' "$TMP/cnn1.json")" true \
    "  and its trials train (most finish)"
# In worker processes, each with its own OpenMP and (where the build has
# it) its own oneDNN: the same report.
"$OPTSELECT" --threads 2 --isolate $cnn --format json "$cfg" >"$TMP/cnni.json"
jq -S 'del(.effective_config)' "$TMP/cnni.json" >"$TMP/a"
jq -S 'del(.effective_config)' "$TMP/cnn1.json" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b"
ok $? "a CNN in worker processes (--isolate): the same report as in threads"

# Data-parallel steps: with the batch split into chunks, a study of fewer
# trials than threads hands the idle threads to the chunks; the numbers
# depend on batch_split, not on how many threads ran them.
split="--set search.batch_split=4 --set search.optimizers=adam,sgd --set search.lr_points=1"
for j in 1 2 3; do
    "$OPTSELECT" --threads $j $split --format json "$cfg" >"$TMP/split$j.json"
    ok $? "split steps run on $j threads"
done
grep -q '"batch_split": 4' "$TMP/split1.json"
ok $? "JSON names the split"
cmp -s "$TMP/split1.json" "$TMP/split2.json" && cmp -s "$TMP/split1.json" "$TMP/split3.json"
ok $? "split steps: JSON is byte-identical on 1, 2 and 3 threads"
"$OPTSELECT" --threads 1 $split --set search.batch_split=1 --format json "$cfg" >"$TMP/whole.json"
cmp -s "$TMP/split1.json" "$TMP/whole.json"
is $? 1 "a split step is another computation than a whole one"
for j in 1 3; do
    "$OPTSELECT" --threads $j $split --set search.lr_points=3 --set search.strategy=halving \
        --format json "$cfg" >"$TMP/halve$j.json"
    ok $? "halving with split steps runs on $j threads"
done
cmp -s "$TMP/halve1.json" "$TMP/halve3.json"
ok $? "halving with split steps: byte-identical on 1 and 3 threads"
"$OPTSELECT" --threads 2 $split --set search.batch_split=33 "$cfg" 2>"$TMP/err" >/dev/null
is $? 3 "a split finer than the batch is refused (a config error: exit 3)"
grep -q "batch_split 33 exceeds batch_size 32" "$TMP/err"
ok $? "  and the message says why: $(cat "$TMP/err")"
done_testing
