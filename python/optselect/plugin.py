"""The plugin ABI of include/optselect/plugin.h in ctypes: loading a plugin
file, the handshake, and its optimizers' descriptors.  No compiled code of
its own: the plugin is the only native part."""
import ctypes
import glob
import os

ABI_MAJOR = 1
HOST_MINOR = 2
ERRORS = {0: "OS_OK", -1: "OS_EINVAL", -2: "OS_ENOMEM", -3: "OS_ESHAPE", -4: "OS_ENUMERIC"}
ROLE_OTHER, ROLE_WEIGHT, ROLE_BIAS, ROLE_NORM, ROLE_EMBEDDING = range(5)
HP_LOG, HP_TUNABLE, HP_BOOL, HP_INT = 1, 2, 4, 8


class Tensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("offset", ctypes.c_size_t),
                ("size", ctypes.c_size_t), ("ndim", ctypes.c_uint),
                ("shape", ctypes.c_size_t * 4)]


class Layout(ctypes.Structure):
    _fields_ = [("n", ctypes.c_size_t), ("n_tensors", ctypes.c_size_t),
                ("tensors", ctypes.POINTER(Tensor)), ("roles", ctypes.POINTER(ctypes.c_ubyte))]


class Env(ctypes.Structure):
    _fields_ = [("layout", ctypes.POINTER(Layout)), ("hparams", ctypes.POINTER(ctypes.c_double)),
                ("err", ctypes.c_void_p), ("err_size", ctypes.c_size_t),
                ("host_minor", ctypes.c_uint32), ("env_size", ctypes.c_uint32)]


class Hparam(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("default_value", ctypes.c_double),
                ("min", ctypes.c_double), ("max", ctypes.c_double), ("flags", ctypes.c_uint),
                ("help", ctypes.c_char_p)]


ENV_P = ctypes.POINTER(Env)
FLOAT_P = ctypes.POINTER(ctypes.c_float)
CHECK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_char_p,
                         ctypes.c_size_t)
STATE_BYTES = ctypes.CFUNCTYPE(ctypes.c_size_t, ENV_P)
INIT = ctypes.CFUNCTYPE(ctypes.c_int, ENV_P, ctypes.c_void_p, FLOAT_P)
STEP = ctypes.CFUNCTYPE(ctypes.c_int, ENV_P, ctypes.c_void_p, FLOAT_P, FLOAT_P, ctypes.c_double,
                        ctypes.c_uint64)


class Descriptor(ctypes.Structure):
    """os_optimizer up to ABI 1.0's step: what this bridge calls."""
    _fields_ = [("abi_major", ctypes.c_uint32), ("abi_minor", ctypes.c_uint32),
                ("struct_size", ctypes.c_uint32), ("float_size", ctypes.c_uint32),
                ("label", ctypes.c_char_p), ("summary", ctypes.c_char_p),
                ("default_lr", ctypes.c_double), ("n_hparams", ctypes.c_size_t),
                ("hparams", ctypes.POINTER(Hparam)), ("check", ctypes.c_void_p),
                ("state_bytes", STATE_BYTES), ("init", INIT), ("step", STEP)]


class PluginError(Exception):
    """A plugin that cannot be loaded or refuses the handshake."""


def search_path():
    """$OPTSELECT_PLUGIN_PATH, then the build tree's plugins/.libs, then the
    install's pkglibdir (PREFIX/lib/optselect beside PREFIX/share/optselect/
    python, where make install puts this module), as the program does."""
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = [d for d in os.environ.get("OPTSELECT_PLUGIN_PATH", "").split(":") if d]
    dirs.append(os.path.join(here, "..", "..", "plugins", ".libs"))
    dirs.append(os.path.join(here, "..", "..", "..", "..", "lib", "optselect"))
    return [os.path.normpath(d) for d in dirs]


_loaded = {}


def descriptors(path):
    """Every optimizer of one plugin file: (label, Descriptor), after the
    handshake (ABI major, float size, a descriptor that reaches step)."""
    if path in _loaded:
        return _loaded[path]
    try:
        lib = ctypes.CDLL(path)
        entry = lib.optselect_descriptor
    except (OSError, AttributeError) as e:
        raise PluginError(f"{path}: not an optselect plugin: {e}") from None
    entry.restype = ctypes.POINTER(Descriptor)
    entry.argtypes = [ctypes.c_ulong]
    out = []
    for i in range(1024):
        d = entry(i)
        if not d:
            break
        d = d.contents
        if d.abi_major != ABI_MAJOR or d.float_size != 4 or \
                d.struct_size < ctypes.sizeof(Descriptor):
            raise PluginError(f"{path}: ABI {d.abi_major}.{d.abi_minor} (float size "
                              f"{d.float_size}); this bridge speaks {ABI_MAJOR}.{HOST_MINOR}")
        out.append((d.label.decode(), d))
    _loaded[path] = (lib, out)
    return _loaded[path]


def find(label, path=None):
    """The descriptor labelled label: in the file path, or the first of the
    search path's *.so files that has it."""
    files = [path] if path else [f for d in search_path() for f in sorted(glob.glob(
        os.path.join(d, "*.so")))]
    seen = []
    for f in files:
        for name, d in descriptors(f)[1]:
            if name == label:
                return d
            seen.append(name)
    raise PluginError(f"no optselect plugin has an optimizer '{label}' "
                      f"(found: {', '.join(seen) or 'none'}; search path: "
                      f"{':'.join(search_path()) if not path else path})")


def hparams_of(d):
    return [d.hparams[i] for i in range(d.n_hparams)]
