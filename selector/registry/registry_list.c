/*
 * registry_list.c — `optselect --list-plugins`: every loaded optimizer with
 * its file, ABI and version, its state size and its hyperparameter table.
 */
#include <stdio.h>
#include "registry.h"

/* State floats per parameter at the default hyperparameters, measured on a
 * layout of a million parameters so that per-optimizer scalars vanish. */
static double state_per_param(const os_optimizer *o)
{
    enum { N = 1000000 };
    static const os_tensor t = { "p", 0, N, 1, { N } };
    static const os_layout layout = { N, 1, &t, NULL };
    double hp[64];
    for (size_t h = 0; h < o->n_hparams; h++)
        hp[h] = o->hparams[h].default_value;
    os_env env = os_plugin_env(&layout, hp, NULL, 0);
    return (double)(o->state_bytes(&env) / sizeof(float) / (N / 100)) / 100.0;
}

void os_registry_list(const os_registry *reg, FILE *out)
{
    fprintf(out, "%zu optimizer%s\n", reg->n, reg->n == 1 ? "" : "s");
    for (size_t i = 0; i < reg->n; i++) {
        const os_optimizer *o = reg->entries[i].opt;
        fprintf(out, "\n%s  (%s, ABI %u.%u", o->label, reg->entries[i].path,
               (unsigned)o->abi_major, (unsigned)o->abi_minor);
        if (os_optimizer_version(o))
            fprintf(out, ", version %u", (unsigned)os_optimizer_version(o));
        fprintf(out, ")\n  %s\n", o->summary);
        double floats = state_per_param(o);
        fprintf(out, "  state: %g float%s per parameter at the defaults\n", floats,
               floats == 1 ? "" : "s");
        fprintf(out, "    %-26s default %-8g\n", "lr", o->default_lr);
        for (size_t h = 0; h < o->n_hparams; h++) {
            const os_hparam *hp = &o->hparams[h];
            char range[64];
            if (hp->flags & OS_HP_BOOL)
                snprintf(range, sizeof range, "%s", "true|false");
            else
                snprintf(range, sizeof range, "[%g, %g]%s", hp->min, hp->max,
                         hp->flags & OS_HP_LOG ? " log" : "");
            fprintf(out, "    %-26s default %-8g %-18s %-8s %s\n", hp->name, hp->default_value,
                   range, hp->flags & OS_HP_TUNABLE ? "tunable" : "", hp->help);
        }
    }
}
