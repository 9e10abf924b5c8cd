/* fuzz_protocol.c — one line of a training program's output (protocol.h),
 * cut as the trial cuts it: at the first newline, a carriage return before
 * it dropped, and at a NUL (the line reaches the parser as a C string).
 *
 * Besides crashes: a refused line must say why in one line; a line read as
 * a measurement must give a step and a value; and what it gave, written
 * back as "optselect: step=N key=value ...", must read again to the same
 * step, the same keys and the same bits (NaN as any NaN), so that the two
 * forms, key=value and JSON, mean one thing. */
#include <math.h>
#include "fuzz.h"
#include "protocol.h"

static const char *const keys[] = { "train_loss", "val_loss", "val_acc", "test_loss",
                                    "test_acc" };

static double value(const os_line_point *pt, int k)
{
    const double v[] = { pt->train_loss, pt->val_loss, pt->val_acc, pt->test_loss,
                         pt->test_acc };
    return v[k];
}

static void check_refusal(os_line_kind kind, const char *why)
{
    if (kind == OS_LINE_BAD && (!why[0] || strchr(why, '\n')))
        abort();
}

static int same(double a, double b)
{
    return isnan(a) ? isnan(b) : !memcmp(&a, &b, sizeof a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = 0;
    size_t n = strcspn(line, "\n");
    line[n] = 0;
    if (n && line[n - 1] == '\r')
        line[n - 1] = 0;

    os_line_point pt;
    char why[200];
    os_line_kind kind = os_protocol_line(line, &pt, why, sizeof why);
    free(line);
    if (kind != OS_LINE_OTHER && kind != OS_LINE_POINT && kind != OS_LINE_BAD)
        abort();
    check_refusal(kind, why);
    if (kind != OS_LINE_POINT)
        return 0;
    if (!pt.given || pt.given >= 1u << 5)
        abort(); /* a measurement gives at least one value, and only known ones */

    char again[512];
    size_t used = (size_t)snprintf(again, sizeof again, "optselect: step=%llu",
                                   (unsigned long long)pt.step);
    for (int k = 0; k < 5; k++)
        if (pt.given & 1u << k)
            used += (size_t)snprintf(again + used, sizeof again - used, " %s=%.17g", keys[k],
                                     value(&pt, k));
    os_line_point back;
    char why2[200];
    os_line_kind kind2 = os_protocol_line(again, &back, why2, sizeof why2);
    check_refusal(kind2, why2);
    if (kind2 != OS_LINE_POINT || back.step != pt.step || back.given != pt.given)
        abort();
    for (int k = 0; k < 5; k++)
        if ((pt.given & 1u << k) && !same(value(&pt, k), value(&back, k)))
            abort();
    return 0;
}
