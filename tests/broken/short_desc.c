/* A plugin whose descriptor is shorter than ABI 1.0 requires (as if built
 * against a header that lost fields).  The loader must refuse it before
 * reading past struct_size. */
#include <stdint.h>
#include <optselect/plugin.h>

static const struct {
    uint32_t abi_major, abi_minor, struct_size, float_size;
    const char *label;
} truncated = { OS_PLUGIN_ABI_MAJOR, 0, 24, sizeof(float), "short" };

const os_optimizer *optselect_descriptor(unsigned long index)
{
    return index == 0 ? (const os_optimizer *)(const void *)&truncated : NULL;
}
