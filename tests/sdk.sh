#!/bin/sh
# The plugin SDK as a user meets it: install into a DESTDIR, build
# docs/examples/signum.c out of tree against the installed header with
# pkg-config, check it, and rank it in a study next to the built-ins.
. "${top_srcdir:-.}/tests/lib.sh"
dest="$TMP/dest"

${MAKE:-make} -s -C "$top_builddir" install DESTDIR="$dest" >"$TMP/install.log" 2>&1
ok $? "make install DESTDIR=... works"
[ $? -eq 0 ] || sed 's/^/# /' "$TMP/install.log"

pc=$(find "$dest" -name optselect-plugin.pc | head -n 1)
hdr=$(find "$dest" -path '*/include/optselect/plugin.h' | head -n 1)
ok $([ -n "$pc" ] && [ -n "$hdr" ]; echo $?) "the header and optselect-plugin.pc are installed"
bin=$(find "$dest" -path '*/bin/optselect' | head -n 1)
plugdir=$(dirname "$(find "$dest" -name sgd.so | head -n 1)")

# pkg-config finds the installed file; the sysroot maps its paths into DESTDIR.
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest"
cflags=$(pkg-config --cflags optselect-plugin)
ok $? "pkg-config --cflags optselect-plugin ($cflags)"
mkdir -p "$TMP/mine"
${CC:-cc} -O2 -Wall -Werror -shared -fPIC $cflags "$top_srcdir/docs/examples/signum.c" \
    -o "$TMP/mine/signum.so"
ok $? "the example builds out of tree against the installed header"

run "$bin" --check-plugin "$TMP/mine/signum.so"
is "$status" 0 "the example passes --check-plugin"

export OPTSELECT_PLUGIN_PATH="$TMP/mine:$plugdir"
run "$bin" --format json --set search.optimizers=signum,sgd,adam --set search.lr_points=4 \
    "$top_srcdir/configs/quickstart.ini"
is "$status" 0 "a study with the example runs"
is "$(jq -r '[.trials[] | select(.optimizer == "signum")] | length' "$TMP/out")" 4 \
    "signum ran at 4 learning rates"
is "$(jq -r '[.trials[] | select(.optimizer == "signum" and .status == "ok")] | length > 0' \
    "$TMP/out")" true "signum trained, ranked with the built-ins"

# A plugin rebuilt with another version: its old trials are not resumed.
run "$bin" --quiet --output "$TMP/res" --set search.optimizers=signum,sgd \
    --set search.lr_points=2 "$top_srcdir/configs/quickstart.ini"
is "$status" 0 "a study of signum version 1 writes its results folder"
grep -q '^optselect-journal .* plugins [0-9a-f]*	' "$TMP/res/journal"
ok $? "... whose journal keeps the plugins' versions"
sed 's/\.version = 1,/.version = 2,/' "$top_srcdir/docs/examples/signum.c" >"$TMP/signum2.c"
${CC:-cc} -O2 -Wall -Werror -shared -fPIC $cflags "$TMP/signum2.c" -o "$TMP/mine/signum.so"
run "$bin" --quiet --resume "$TMP/res"
is "$status" 3 "--resume after signum was rebuilt as version 2: refused"
is "$(cat "$TMP/err")" "optselect: $TMP/res/journal: the journal's trials ran with other versions of the plugins than now (signum 2, sgd 1): they measured other optimizers; use another --output folder, or remove it to start over" \
    "... with one line naming the versions"
done_testing
