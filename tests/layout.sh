#!/bin/sh
# The tree keeps the shape docs/architecture.md describes: the floors
# include only what is below them, every module is on that page, and no
# source file outgrows one job (600 lines).
. "${top_srcdir:-.}/tests/lib.sh"
cd "$top_srcdir" || exit 1

# includes "x.h" of a floor must resolve in the floor itself or below it
floor_ok() { # FOLDER ALLOWED-FOLDERS...
    dir=$1; shift
    bad=""
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -e "$f" ] || continue
        for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
            [ "$h" = config.h ] && continue # configure's, for every floor
            found=""
            for a in "$dir" "$@"; do [ -e "$a/$h" ] && found=1; done
            [ -n "$found" ] || bad="$bad $f:$h"
        done
    done
    is "$bad" "" "$dir/ includes only $dir/${*:+ and }$*"
}
floor_ok common
floor_ok data common
floor_ok models common
floor_ok plugins include/optselect

# every source file of the engine is named on docs/architecture.md
missing=""
for f in common/*.c data/*.c models/*.c selector/*.c selector/*/*.c; do
    grep -q "$(basename "$f")" docs/architecture.md || missing="$missing $f"
done
is "$missing" "" "docs/architecture.md names every module"

long=""
for f in common/*.[ch] data/*.[ch] models/*.[ch] selector/*.[ch] selector/*/*.[ch] \
         plugins/*.[ch] \
         include/optselect/*.h; do
    n=$(wc -l <"$f")
    [ "$n" -le 600 ] || long="$long $f($n)"
done
is "$long" "" "no source file over 600 lines"

# no include circle among the modules of selector/ (in any of its stage
# folders): a module is X.c with X.h (and its private X_internal.h); tsort
# refuses a graph with a loop
edges=""
for f in selector/*.[ch] selector/*/*.[ch]; do
    m=$(basename "$f"); m=${m%.*}; m=${m%_internal}
    for h in $(sed -n 's/^#include "\([^"]*\)\.h".*/\1/p' "$f"); do
        [ -e "selector/$h.h" ] || ls selector/*/"$h.h" >/dev/null 2>&1 || continue
        h=${h%_internal}
        [ "$h" = "$m" ] || edges="$edges $m $h"
    done
done
loop=$(echo "$edges" | tsort 2>&1 >/dev/null | tr '\n' ' ')
is "$loop" "" "no include circle among the selector modules"
done_testing
