/* fuzz_config.c — the INI reader and every value parser, with two real
 * optimizers loaded so that [optimizer.X] sections and hyperparameter
 * lists are reached.  An accepted config's effective configuration must
 * load back and write itself again byte for byte.  The plugins come from $OPTSELECT_PLUGIN_PATH (the
 * build tree's plugins/.libs by default). */
#include "fuzz.h"
#include "study_config.h"

static os_registry reg;

static void load_plugins(void)
{
    static int loaded;
    if (loaded++)
        return;
    const char *dir = getenv("OPTSELECT_PLUGIN_PATH");
    char path[4096];
    os_error err = { 0 };
    const char *names[] = { "sgd.so", "adam.so" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "plugins/.libs", names[i]);
        if (os_registry_load_file(&reg, path, &err)) {
            fprintf(stderr, "fuzz_config: %s\n", err.msg);
            abort();
        }
    }
}

/* Whether two streams hold the same bytes (both read from the start). */
static int same_text(FILE *a, FILE *b)
{
    rewind(a);
    rewind(b);
    int ca, cb;
    do {
        ca = getc(a);
        cb = getc(b);
    } while (ca == cb && ca != EOF);
    return ca == cb;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_plugins();
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    static os_config cfg; /* about 1 MiB */
    os_error err = { 0 };
    int rc = os_config_load(&cfg, path, NULL, &reg, NULL, 0, &err);
    fuzz_check_error(rc, &err);
    if (!rc) {
        /* the effective config must load back, to itself: a results
         * folder's config.ini runs the same study */
        FILE *f = tmpfile(), *f2 = tmpfile();
        if (f && f2 && os_config_write_effective(&cfg, f) == 0 && fflush(f) == 0) {
            char again[64];
            snprintf(again, sizeof again, "/proc/self/fd/%d", fileno(f));
            static os_config cfg2;
            os_error err2 = { 0 };
            if (os_config_load(&cfg2, again, NULL, &reg, NULL, 0, &err2))
                abort();
            if (os_config_write_effective(&cfg2, f2) == 0 && fflush(f2) == 0 &&
                !same_text(f, f2))
                abort();
            os_config_free(&cfg2);
        }
        if (f)
            fclose(f);
        if (f2)
            fclose(f2);
        os_config_free(&cfg);
    }
    close(fd);
    return 0;
}
