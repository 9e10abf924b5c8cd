/* protocol.c — see protocol.h. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"

#define PREFIX "optselect:"

/* The keys a line may give, in the point's field order after step. */
static const char *const names[] = { "train_loss", "val_loss", "val_acc", "test_loss",
                                     "test_acc" };
#define N_NAMES (sizeof names / sizeof *names)

static double *field(os_line_point *pt, size_t k)
{
    double *f[N_NAMES] = { &pt->train_loss, &pt->val_loss, &pt->val_acc, &pt->test_loss,
                           &pt->test_acc };
    return f[k];
}

static size_t name_index(const char *name, size_t len)
{
    for (size_t k = 0; k < N_NAMES; k++)
        if (strlen(names[k]) == len && !strncmp(names[k], name, len))
            return k;
    return N_NAMES;
}

static void clear(os_line_point *pt)
{
    pt->step = 0;
    pt->given = 0;
    for (size_t k = 0; k < N_NAMES; k++)
        *field(pt, k) = NAN;
}

/* A number as C's strtod reads it, nan and inf included; -1 if not one. */
static int number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (!len || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || end == buf)
        return -1;
    *out = v;
    return 0;
}

static int step_value(const char *s, size_t len, uint64_t *out)
{
    if (!len || len > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "optselect: step=N key=value ..." */
static os_line_kind key_values(const char *p, os_line_point *pt, char *why, size_t size)
{
    int have_step = 0, have_value = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\r')
            break;
        const char *key = p, *eq = NULL;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r') {
            if (*p == '=' && !eq)
                eq = p;
            p++;
        }
        if (!eq) {
            snprintf(why, size, "'%.*s' is not KEY=VALUE", (int)(p - key), key);
            return OS_LINE_BAD;
        }
        size_t klen = (size_t)(eq - key), vlen = (size_t)(p - eq - 1);
        if (klen == 4 && !strncmp(key, "step", 4)) {
            if (step_value(eq + 1, vlen, &pt->step)) {
                snprintf(why, size, "step=%.*s is not a step count", (int)vlen, eq + 1);
                return OS_LINE_BAD;
            }
            have_step = 1;
            continue;
        }
        size_t k = name_index(key, klen);
        if (k == N_NAMES) {
            snprintf(why, size, "unknown key '%.*s' (the keys: step, train_loss, val_loss, "
                     "val_acc, test_loss, test_acc)", (int)klen, key);
            return OS_LINE_BAD;
        }
        if (number(eq + 1, vlen, field(pt, k))) {
            snprintf(why, size, "%.*s=%.*s is not a number", (int)klen, key, (int)vlen, eq + 1);
            return OS_LINE_BAD;
        }
        pt->given |= 1u << k;
        have_value = 1;
    }
    if (!have_step || !have_value) {
        snprintf(why, size, have_step ? "a step with no value (train_loss=, val_loss=, ...)"
                                      : "no step=N");
        return OS_LINE_BAD;
    }
    return OS_LINE_POINT;
}

/* Python's json.dumps writes NaN and Infinity, which JSON has not: they
 * become null (a loss that is no number) outside strings. */
static char *nulled(const char *line)
{
    size_t n = strlen(line);
    /* "NaN" becomes "null", a byte longer: at most n / 3 of them */
    char *out = malloc(n + n / 3 + 1), *o = out;
    if (!out)
        return NULL;
    int in_string = 0;
    for (const char *p = line; *p;) {
        if (in_string) {
            if (*p == '\\' && p[1])
                *o++ = *p++;
            else if (*p == '"')
                in_string = 0;
            *o++ = *p++;
            continue;
        }
        const char *word = NULL;
        if (*p == '"')
            in_string = 1;
        else if (!strncmp(p, "NaN", 3))
            word = "NaN";
        else if (!strncmp(p, "-Infinity", 9))
            word = "-Infinity";
        else if (!strncmp(p, "Infinity", 8))
            word = "Infinity";
        if (word) {
            memcpy(o, "null", 4);
            o += 4;
            p += strlen(word);
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

/* {"step": N, "val_loss": X, ...}: a JSON object with a step is for
 * optselect; other members (an epoch, a rate) are the program's own. */
static os_line_kind json_line(const char *line, os_line_point *pt, char *why, size_t size)
{
    char *text = nulled(line);
    json_t *o = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    if (!json_is_object(o) || !json_object_get(o, "step")) {
        json_decref(o);
        return OS_LINE_OTHER;
    }
    os_line_kind kind = OS_LINE_POINT;
    json_t *step = json_object_get(o, "step");
    int have_value = 0;
    if (!json_is_integer(step) || json_integer_value(step) < 0) {
        snprintf(why, size, "\"step\" is not a step count");
        kind = OS_LINE_BAD;
    } else {
        pt->step = (uint64_t)json_integer_value(step);
    }
    for (size_t k = 0; kind == OS_LINE_POINT && k < N_NAMES; k++) {
        json_t *v = json_object_get(o, names[k]);
        if (!v)
            continue;
        have_value = 1;
        pt->given |= 1u << k;
        if (json_is_null(v)) {
            *field(pt, k) = NAN; /* a value that is no number */
        } else if (json_is_number(v)) {
            *field(pt, k) = json_number_value(v);
        } else {
            snprintf(why, size, "\"%s\" is not a number", names[k]);
            kind = OS_LINE_BAD;
        }
    }
    if (kind == OS_LINE_POINT && !have_value) {
        snprintf(why, size, "a step with no value (\"train_loss\", \"val_loss\", ...)");
        kind = OS_LINE_BAD;
    }
    json_decref(o);
    return kind;
}

os_line_kind os_protocol_line(const char *line, os_line_point *pt, char *why, size_t size)
{
    clear(pt);
    why[0] = 0;
    if (!strncmp(line, PREFIX, strlen(PREFIX)))
        return key_values(line + strlen(PREFIX), pt, why, size);
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '{' ? json_line(p, pt, why, size) : OS_LINE_OTHER;
}
