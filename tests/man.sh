#!/bin/sh
# The man pages: every option of --help is documented in optselect(1), and
# both pages render without a groff warning.
. "${top_srcdir:-.}/tests/lib.sh"
page="$top_srcdir/optselect.1"
plugin_page="$top_srcdir/optselect-plugin.7"

# Every option --help lists, long and short, in the page's roff source
# (where a hyphen is written \-).
"$OPTSELECT" --help >"$TMP/help"
options=$(grep -Eo '(^|[ ,])--?[a-zA-Z][a-z-]*' "$TMP/help" | tr -d ' ,' | sort -u)
n=0 missing=""
for opt in $options; do
    n=$((n + 1))
    roff=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    grep -q -- "$roff" "$page" || missing="$missing $opt"
done
[ "$n" -gt 15 ]
ok $? "--help lists $n options"
is "$missing" "" "optselect.1 documents every option of --help"

# every exit status of --help too
missing=""
for code in 0 1 2 3 4 5 6 7 130; do
    grep -q "^\.B.* $code\b\|^\.B $code\$\|^\.BR $code" "$page" || missing="$missing exit-$code"
done
is "$missing" "" "optselect.1 documents every exit status"

# every config section and the plugin entry point
missing=""
for word in '\[data\]' '\[model\]' '\[search\]' 'OPTSELECT_PLUGIN_PATH' 'OPENBLAS_CORETYPE'; do
    grep -q "$word" "$page" || missing="$missing $word"
done
is "$missing" "" "optselect.1 names the config sections and the environment"
grep -q 'optselect_descriptor' "$plugin_page"
ok $? "optselect-plugin.7 names the entry point"
missing=""
for field in label summary default_lr hparams check state_bytes init step eval_params \
             abi_major struct_size float_size OS_OPTIMIZER_HEADER; do
    grep -q "$field" "$plugin_page" || missing="$missing $field"
done
is "$missing" "" "optselect-plugin.7 describes every descriptor field"

if command -v groff >/dev/null 2>&1; then
    for p in "$page" "$plugin_page"; do
        warnings=$(groff -man -Tutf8 -ww -z "$p" 2>&1)
        is "$warnings" "" "$(basename "$p") renders without a groff warning"
    done
else
    ok 0 "# SKIP groff is not installed (Debian: groff-base)"
    ok 0 "# SKIP groff is not installed"
fi
done_testing
