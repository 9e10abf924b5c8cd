/*
 * optselect/plugin.h — the contract between optselect and an optimizer plugin.
 *
 * This is the only header a plugin author needs.  A plugin is a shared object
 * that exports exactly one symbol, OS_PLUGIN_ENTRY ("optselect_descriptor"):
 *
 *     const os_optimizer *optselect_descriptor(unsigned long index);
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
 *     NUL-terminated by the plugin if written).
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
#define OS_PLUGIN_ABI_MINOR 1

/* The one symbol a plugin exports, and its type. */
#define OS_PLUGIN_ENTRY "optselect_descriptor"
struct os_optimizer;
typedef const struct os_optimizer *(*os_descriptor_fn)(unsigned long index);

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

/* One tensor of the model, as a slice of the flat parameter buffer. */
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
} os_layout;

/* What the host hands every call besides the buffers.  Read-only to the
 * plugin except err.  The same env is passed to every call on one state. */
typedef struct os_env {
    const os_layout *layout;   /* the model's tensors                         */
    const double    *hparams;  /* one value per os_hparam, in table order     */
    char            *err;      /* message buffer for a failing call, or NULL  */
    size_t           err_size; /* bytes available in err                      */
} os_env;

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

#ifdef __cplusplus
}
#endif
#endif /* OPTSELECT_PLUGIN_H */
