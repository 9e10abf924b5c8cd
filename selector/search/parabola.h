/*
 * parabola.h — learning-rate refinement: where between the grid's rates the
 * winner's score is lowest, and how wide the band of rates is that scores
 * within 1% of that.
 *
 * A grid of learning rates is coarse (a factor of 3 or 10 between points),
 * and the score of a well-behaved optimizer is close to a parabola in
 * log(lr) near its best rate.  The parabola through the winner and its two
 * neighbouring rates puts a number on both questions a user asks next:
 * "is the best rate between two of the grid's?" (the vertex) and "how
 * precisely must I set it?" (the band).  Three points and not a least-
 * squares fit over more: when the winner scores lowest of the three, the
 * parabola through them opens upward and its vertex lies between the
 * outer two, so the answer never leaves the rates that were measured.
 */
#ifndef OS_PARABOLA_H
#define OS_PARABOLA_H

#include <stddef.h>

typedef enum os_refine_status {
    OS_REFINE_NONE,     /* not attempted: refine = no, or no winner             */
    OS_REFINE_OK,       /* a parabola with its minimum between the neighbours   */
    OS_REFINE_EDGE_LOW, /* the winner is the smallest rate that finished: the
                           best may lie below the rates tried                   */
    OS_REFINE_EDGE_HIGH,/* the largest: the best may lie above                  */
    OS_REFINE_FLAT      /* the three scores do not bend upward (a neighbour
                           scores lower, or all three are equal): no minimum   */
} os_refine_status;

const char *os_refine_status_name(os_refine_status s);

typedef struct os_lr_fit {
    os_refine_status status;
    double lr[3], score[3]; /* the rates fitted (ascending) and their scores;
                               with EDGE_*, lr[1] is the winner's, and on
                               the edge's side lr[0] or lr[2] the next rate
                               tried (which did not finish), else NaN     */
    double best_lr;         /* OK: the vertex, between lr[0] and lr[2]      */
    double predicted;       /* OK: the parabola's value there                */
    double band[2];         /* OK: the rates where the parabola is within
                               tolerance of predicted (relative to its
                               magnitude), cut to [lr[0], lr[2]]            */
    int    band_cut[2];     /* the band reaches past lr[0] / lr[2]: it is at
                               least that wide, the fit says no more        */
} os_lr_fit;

/* Fits the winner's rate.  lr ascending, score[i] its score (+inf or NaN:
 * did not finish), n rates of one optimizer with otherwise equal
 * hyperparameters; winner indexes the recommended one.  Its neighbours are
 * the nearest finished rates on each side. */
os_lr_fit os_refine_fit(const double *lr, const double *score, size_t n, size_t winner,
                        double tolerance);

#endif
