#!/bin/sh
# python/optselect: the plugins as torch.optim optimizers (ctypes), checked
# step for step against torch.optim and a NumPy reference
# (tests/python_bridge.py).  Needs Debian's python3-torch.
. "${top_srcdir:-.}/tests/lib.sh"
if [ "${TORCH_TESTS:-yes}" = no ]; then
    echo "1..0 # SKIP configured with --disable-torch-tests (or a sanitizer)"
    exit 0
fi
PY=${PYTHON:-/usr/bin/python3}
if ! "$PY" -c "import torch, numpy" 2>/dev/null; then
    echo "1..0 # SKIP $PY cannot import torch and numpy (apt-get install python3-torch)"
    exit 0
fi
"$PY" "$top_srcdir/tests/python_bridge.py"
