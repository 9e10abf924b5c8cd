/* A plugin whose step fails with a message of several lines, a carriage
 * return and a terminal escape: the report shows it on one line, escaped. */
#include <stddef.h>
#include <stdio.h>
#include <optselect/plugin.h>

static size_t bytes(const os_env *env) { return 0; }
static int init(const os_env *env, void *s, const float *p) { return OS_OK; }
static int step(const os_env *env, void *s, float *p, const float *g, double lr, uint64_t t)
{
    if (t < 3)
        return OS_OK;
    snprintf(env->err, env->err_size, "first line\nsecond line\rthird \x1b[31mred");
    return OS_EINVAL;
}

static const os_optimizer opt = {
    OS_OPTIMIZER_HEADER,
    .label = "message-lines", .summary = "fails at step 3 with a message of three lines",
    .default_lr = 0.1, .state_bytes = bytes, .init = init, .step = step,
};

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &opt : NULL;
}
