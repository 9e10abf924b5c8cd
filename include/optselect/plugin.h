/*
 * optselect/plugin.h — the contract between optselect and an optimizer plugin.
 *
 * This is the only header a plugin author needs.  A plugin is a shared object
 * that exports exactly one symbol, OS_PLUGIN_ENTRY ("optselect_descriptor"),
 * declared below; define it with OS_PLUGIN_EXPORT:
 *
 *     OS_PLUGIN_EXPORT const os_optimizer *optselect_descriptor(unsigned long index)
 *     { return index == 0 ? &my_optimizer : NULL; }
 *
 * It returns the index-th optimizer of the file, and NULL past the last one,
 * so one file may hold a family (sgd, sgd-nesterov, ...).  The returned
 * descriptor and every string and table it points to must stay valid until
 * the host unloads the file.
 *
 * Rules of the road:
 *   - An optimizer is a pure function over flat float buffers.  Its state is
 *     a block of memory that the HOST allocates (state_bytes long, 64-byte
 *     aligned), the plugin initialises (init) and updates (step).  The state
 *     must hold no pointers: the host copies it with memcpy, resets it by
 *     calling init again, and may write it to disk to resume a trial later.
 *   - A plugin never exits, aborts, prints, or keeps global mutable state:
 *     many trials call it at once from different threads.
 *   - Errors are returned as a negative OS_E* code; a message may be written
 *     into the host-provided buffer env->err (env->err_size bytes, always
 *     NUL-terminated by the plugin if written).  The host reports the code
 *     by its name in OS_PLUGIN_ERRNO_MAP, with the message.
 *
 * Limits the host enforces when it loads a file (it refuses the file, with
 * a message naming it, otherwise):
 *   - at most 1024 optimizers per file (the index at which
 *     optselect_descriptor returns NULL);
 *   - a label is [a-z0-9_-], 1 to 64 characters, unique among the loaded
 *     optimizers; a hyperparameter name is [a-z0-9_], 1 to 64 characters,
 *     unique in its table, and none of the reserved "lr", "lr_range",
 *     "lr_points" and "plugin" (the host's keys of every [optimizer.X]
 *     section);
 *   - at most 64 hyperparameters, each with finite min <= default <= max,
 *     min > 0 when OS_HP_LOG, and 0..1 when OS_HP_BOOL;
 *   - default_lr positive and finite; state_bytes, init and step present.
 * What the host promises in return:
 *   - every state block is 64-byte aligned and zeroed before init;
 *   - one state is never used by two calls at once (a trial steps its own
 *     state on one thread), while different states are stepped concurrently
 *     from many threads: every function must be reentrant;
 *   - a plugin must not start threads of its own: the host already runs
 *     one trial per core, and extra threads only oversubscribe them.
 *
 * Versioning: the first four fields of os_optimizer never move.  Within one
 * major version fields are only ever appended (a new minor version), so a
 * host accepts any plugin of its major version whose struct_size covers the
 * fields of the minor it claims.  A different major, or a different
 * sizeof(float), is refused with a message naming the file and both versions.
 *
 * Build a plugin with:
 *     cc -shared -fPIC $(pkg-config --cflags optselect-plugin) my.c -o my.so
 * and put it in a directory named in OPTSELECT_PLUGIN_PATH.
 */
#ifndef OPTSELECT_PLUGIN_H
#define OPTSELECT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OS_PLUGIN_ABI_MAJOR 1
#define OS_PLUGIN_ABI_MINOR 2

/* The one symbol a plugin exports, its type, and its prototype.  With
 * OS_PLUGIN_EXPORT it stays visible when the plugin is built with
 * -fvisibility=hidden (everything else then stays private). */
#define OS_PLUGIN_ENTRY "optselect_descriptor"
#if defined(__GNUC__) || defined(__clang__)
#define OS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define OS_PLUGIN_EXPORT
#endif
struct os_optimizer;
typedef const struct os_optimizer *(*os_descriptor_fn)(unsigned long index);
OS_PLUGIN_EXPORT const struct os_optimizer *optselect_descriptor(unsigned long index);

/* Error codes a plugin may return (negative), with their default text.
 * X-macro so that the host's error table and this one cannot disagree. */
#define OS_PLUGIN_ERRNO_MAP(XX)                                              \
    XX(OK,       0, "success")                                               \
    XX(EINVAL,  -1, "invalid hyperparameter or argument")                    \
    XX(ENOMEM,  -2, "out of memory")                                         \
    XX(ESHAPE,  -3, "parameter layout not supported by this optimizer")      \
    XX(ENUMERIC,-4, "numerical failure (non-finite value)")

enum {
#define OS_XX(name, code, text) OS_##name = (code),
    OS_PLUGIN_ERRNO_MAP(OS_XX)
#undef OS_XX
};

/* Flags of a hyperparameter (bitwise or). */
enum {
    OS_HP_LOG     = 1u << 0, /* searched on a log scale (min must be > 0)     */
    OS_HP_TUNABLE = 1u << 1, /* the host may search over it                   */
    OS_HP_BOOL    = 1u << 2, /* value is 0 or 1; INI accepts true/false too   */
    OS_HP_INT     = 1u << 3  /* value is an integer                           */
};

/* One hyperparameter, described rather than parsed: the host validates INI
 * values against [min, max] and the flags, and passes the plugin doubles in
 * table order.  A plugin never sees a string from the config. */
typedef struct os_hparam {
    const char *name;          /* INI key; [a-z0-9_]+, unique; never "lr"     */
    double      default_value; /* used when the config does not set it        */
    double      min, max;      /* inclusive bounds, min <= default <= max     */
    unsigned    flags;         /* OS_HP_* bits                                */
    const char *help;          /* one line, shown by --list-plugins           */
} os_hparam;

/* What a tensor holds (os_layout.roles, ABI 1.2), so that a method can
 * treat kinds differently: weight decay that skips biases and norms, a
 * per-matrix update (Muon, LARS) that leaves vectors to a plain rule. */
enum {
    OS_ROLE_OTHER     = 0, /* anything else, or not known to the host      */
    OS_ROLE_WEIGHT    = 1, /* a dense or convolution weight                 */
    OS_ROLE_BIAS      = 2, /* a bias vector                                 */
    OS_ROLE_NORM      = 3, /* a normalisation layer's scale or shift        */
    OS_ROLE_EMBEDDING = 4  /* an embedding table                            */
};

/* One tensor of the model, as a slice of the flat parameter buffer.  (An
 * array element: it never grows; per-tensor facts added later live in
 * parallel arrays of os_layout.) */
typedef struct os_tensor {
    const char *name;     /* e.g. "dense1.weight"; for messages only          */
    size_t      offset;   /* first element in the flat buffers                */
    size_t      size;     /* number of elements (product of shape)            */
    unsigned    ndim;     /* 1 (bias, vector) .. 4                            */
    size_t      shape[4]; /* row-major; a dense weight is {out, in}           */
} os_tensor;

/* The parameter layout of a model: tensors tile [0, n) in order, without
 * gaps or overlap.  Owned by the host; valid for the lifetime of the state. */
typedef struct os_layout {
    size_t           n;         /* total number of parameters                 */
    size_t           n_tensors; /* number of entries in tensors               */
    const os_tensor *tensors;   /* never NULL when n_tensors > 0              */
    /* ---- ABI 1.2: read only when env->host_minor >= 2 ---- */
    const unsigned char *roles; /* n_tensors OS_ROLE_* values, one per tensor;
                                   NULL: every tensor is OS_ROLE_OTHER        */
} os_layout;

/* What the host hands every call besides the buffers.  Read-only to the
 * plugin except err.  The same env is passed to every call on one state. */
typedef struct os_env {
    const os_layout *layout;   /* the model's tensors                         */
    const double    *hparams;  /* one value per os_hparam, in table order     */
    char            *err;      /* message buffer for a failing call, or NULL  */
    size_t           err_size; /* bytes available in err                      */
    /* ---- ABI 1.2 ---- */
    uint32_t         host_minor; /* the host's OS_PLUGIN_ABI_MINOR (2 or more) */
    uint32_t         env_size;   /* sizeof(os_env) of the host: the fields a
                                    later minor appends exist when it covers
                                    them                                      */
    const unsigned char *decays; /* layout->n_tensors flags, one per tensor:
                                    0 where the tensor takes no weight decay
                                    ([search] decay = weights leaves biases
                                    and norms out), nonzero where it takes
                                    the decay its hyperparameters ask for.
                                    NULL: every tensor takes it.  A plugin
                                    with a weight-decay hyperparameter applies
                                    it tensor by tensor by these flags
                                    (OS_TENSOR_DECAYS); one without ignores
                                    them                                      */
} os_env;

/* Which fields exist: those of every minor up to env->host_minor (and
 * env->env_size bytes of os_env).  A plugin built against a newer header
 * than its host's reads the fields of a later minor only when host_minor
 * reaches it.  Hosts of 1.0 and 1.1 set neither field, and their os_env
 * ends at err_size: a plugin that reads a 1.2 field needs a 1.2 host. */

/* Whether tensor k of env->layout takes weight decay (env->decays). */
#define OS_TENSOR_DECAYS(env, k) (!(env)->decays || (env)->decays[k])

/* An optimizer.  The first four fields are the handshake and never move. */
typedef struct os_optimizer {
    uint32_t abi_major;    /* OS_PLUGIN_ABI_MAJOR the plugin was built with   */
    uint32_t abi_minor;    /* OS_PLUGIN_ABI_MINOR the plugin was built with   */
    uint32_t struct_size;  /* sizeof(os_optimizer) the plugin was built with  */
    uint32_t float_size;   /* sizeof(float) the plugin was built with         */

    /* ---- ABI 1.0 ---- */
    const char *label;     /* name in configs and on the command line;
                              [a-z0-9_-]+, unique across loaded plugins       */
    const char *summary;   /* one line: what it is and its reference          */
    double      default_lr;/* the reference implementation's default, > 0     */
    size_t      n_hparams; /* entries in hparams (may be 0)                   */
    const os_hparam *hparams; /* table of hyperparameters, or NULL if none    */

    /* Optional (may be NULL): reject a combination of hyperparameter values
     * that no layout could make valid (e.g. nesterov without momentum).
     * Called by the host while reading the config, so the user sees the
     * message with the config's file and line. */
    int (*check)(const double *hparams, char *err, size_t err_size);

    /* Bytes of state this optimizer needs for env->layout; may be 0. */
    size_t (*state_bytes)(const os_env *env);

    /* Put the state in its initial condition.  params holds the initial
     * parameters (some methods keep a copy).  Called again to reset. */
    int (*init)(const os_env *env, void *state, const float *params);

    /* One update.  t counts steps from 1; lr is the learning rate for this
     * step (the host owns schedules).  grads is the gradient of the loss at
     * params; the plugin updates params in place.  The host never passes
     * aliasing buffers. */
    int (*step)(const os_env *env, void *state, float *params,
                const float *grads, double lr, uint64_t t);

    /* ---- ABI 1.1 ---- */

    /* Optional (may be NULL): for methods that evaluate the model at another
     * point than they train at (schedule-free methods, averaging).  Writes
     * the parameters to evaluate with into out (env->layout->n floats),
     * given the training parameters and the state; changes neither.  The
     * host validates, scores and reports with these parameters.  A host
     * reads this field only from descriptors that claim ABI 1.1 or later. */
    int (*eval_params)(const os_env *env, const void *state, const float *params,
                       float *out);

    /* ---- ABI 1.2 ---- */

    /* The plugin's own version of its numbers, from 1: raise it whenever a
     * change makes any trial come out differently.  The host keeps it in a
     * study's journal, and a journal written under another version is not
     * resumed (its trials measured another optimizer).  0: not versioned
     * (only the file's path identifies it). */
    uint32_t version;
} os_optimizer;

/* Initialiser for the handshake fields; use it first in every descriptor:
 *     static const os_optimizer sgd = { OS_OPTIMIZER_HEADER, .label = ... }; */
#define OS_OPTIMIZER_HEADER                                                  \
    .abi_major = OS_PLUGIN_ABI_MAJOR, .abi_minor = OS_PLUGIN_ABI_MINOR,      \
    .struct_size = (uint32_t)sizeof(os_optimizer),                           \
    .float_size = (uint32_t)sizeof(float)

/* Size a host requires of a descriptor that claims ABI 1.minor: the end of
 * the last field that minor defines.  Appending fields adds a line here. */
#define OS_OPTIMIZER_SIZE_1_0 \
    (offsetof(os_optimizer, step) + sizeof(((os_optimizer *)0)->step))
#define OS_OPTIMIZER_SIZE_1_1 \
    (offsetof(os_optimizer, eval_params) + sizeof(((os_optimizer *)0)->eval_params))
#define OS_OPTIMIZER_SIZE_1_2 \
    (offsetof(os_optimizer, version) + sizeof(((os_optimizer *)0)->version))

#ifdef __cplusplus
}
#endif
#endif /* OPTSELECT_PLUGIN_H */
