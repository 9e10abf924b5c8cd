/*
 * plot.h — SVG plots of a finished study, for its results folder:
 *
 *   curves.svg  every trial's validation loss by step, coloured by
 *               optimizer, on a log scale; diverged and failed trials
 *               dashed and marked with a cross where they stopped; the
 *               recommended trial drawn thick
 *   lr.svg      the final score of each candidate against its learning
 *               rate, one line per optimizer (DeepOBS's "LR sensitivity"),
 *               diverged learning rates as crosses along the top edge
 *   paths.svg   for a 2-D test function: the optimizers' paths over the
 *               function's contour map, from the start to the minimum
 *
 * The SVG is written directly.  Cairo (the drawing library Debian has)
 * would add a dependency and still leave the axes, ticks and legends to
 * this code; SVG as text is small, exact and easy to test.
 */
#ifndef OS_PLOT_H
#define OS_PLOT_H

#include <stdio.h>
#include "study.h"

/* Each returns 0, -1 when the stream reports a write error, or -2 when out
 * of memory. */
int os_plot_curves(FILE *out, const os_study *s);
int os_plot_lr(FILE *out, const os_study *s);
int os_plot_paths(FILE *out, const os_study *s);   /* test functions only */
int os_plot_lrfind(FILE *out, const os_study *s);  /* lr = auto's range tests */

/* The colour a study's k-th optimizer is drawn in ("#1f77b4"). */
const char *os_plot_color(size_t k);

#endif
