#!/bin/sh
# Each plugin exports exactly one symbol, the entry point.
. "${top_srcdir:-.}/tests/lib.sh"
n=0
for so in "$top_builddir"/plugins/.libs/*.so; do
    label=$(basename "$so" .so)
    n=$((n + 1))
    syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[A-TV-Z]$/ { print $3 }' | sort | tr '\n' ' ')
    is "$syms" "optselect_descriptor " "$label.so exports only optselect_descriptor"
done
is "$n" 19 "19 plugin files were checked"
done_testing
