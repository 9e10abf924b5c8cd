/* Crashes as soon as it is loaded, in a constructor, before the host can
 * call anything: with isolation the probe child dies instead of optselect. */
#include <signal.h>
#include <optselect/plugin.h>

__attribute__((constructor)) static void boom(void)
{
    raise(SIGSEGV);
}

const os_optimizer *optselect_descriptor(unsigned long index);
const os_optimizer *optselect_descriptor(unsigned long index)
{
    return NULL;
}
