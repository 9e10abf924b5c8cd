/* A plugin built against a future ABI major: must be refused by name and version. */
#include <optselect/plugin.h>

static const os_optimizer future = {
    .abi_major = OS_PLUGIN_ABI_MAJOR + 1, .abi_minor = 3,
    .struct_size = sizeof(os_optimizer), .float_size = sizeof(float),
    .label = "future", .summary = "from another ABI", .default_lr = 0.1,
};

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? &future : NULL;
}
