/*
 * protocol.h — the lines a training program prints for optselect
 * (docs/trainers.md):
 *
 *     optselect: step=100 train_loss=0.53
 *     optselect: step=100 val_loss=0.61 val_acc=0.82
 *     {"step": 100, "val_loss": 0.61}
 *
 * One line is one measurement at one step; a key may be missing, and a
 * value may be nan or inf (the trial then diverged).  Any other line is the
 * program's own output and goes to the trial's log.
 */
#ifndef OS_PROTOCOL_H
#define OS_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

typedef enum os_line_kind {
    OS_LINE_OTHER,    /* not for optselect: log it                         */
    OS_LINE_POINT,    /* a measurement, in *pt                              */
    OS_LINE_BAD       /* meant for optselect and malformed: why in the text */
} os_line_kind;

/* What one protocol line says.  A value may be NaN as given (a loss that
 * became NaN); `given` says which were: OS_LINE_HAS(pt, val_loss). */
typedef struct os_line_point {
    uint64_t step;
    double   train_loss, val_loss, val_acc, test_loss, test_acc;
    unsigned given;   /* bit k: the k-th value above was on the line */
} os_line_point;

enum { OS_LINE_TRAIN = 1, OS_LINE_VAL = 2, OS_LINE_ACC = 4, OS_LINE_TEST = 8,
       OS_LINE_TEST_ACC = 16 };

/* Reads one line (no newline).  OS_LINE_BAD leaves a one-line reason in
 * why[size]: an unknown key, a value that is no number, no step. */
os_line_kind os_protocol_line(const char *line, os_line_point *pt, char *why, size_t size);

#endif
