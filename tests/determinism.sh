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
done_testing
