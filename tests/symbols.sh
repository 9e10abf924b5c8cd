#!/bin/sh
# Each plugin exports exactly one symbol, the entry point.
. "${top_srcdir:-.}/tests/lib.sh"
for label in sgd adam rmsprop adagrad; do
    so="$top_builddir/plugins/.libs/$label.so"
    syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[A-TV-Z]$/ { print $3 }' | sort | tr '\n' ' ')
    is "$syms" "optselect_descriptor " "$label.so exports only optselect_descriptor"
done
done_testing
