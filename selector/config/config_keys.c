/*
 * config_keys.c — the table of config keys: section, name, default, help,
 * parser and field.  It drives parsing, defaults, duplicate and typo
 * detection, the effective config, and `--help-config`, which
 * docs/config.md is checked against.
 */
#include <stdio.h>
#include <string.h>
#include "study_config_internal.h"

/* ---- the key table ------------------------------------------------------ */

#define F(member) offsetof(os_config, member)
const os_key os_cfg_keys[] = {
    { "data", "path", NULL, "data file (CSV, optionally gzip-compressed); relative to the "
      "config file's directory; required", os_cfg_p_path, F(data_path), 0, 0, OS_KEY_HASHED },
    { "data", "format", "csv", "file format: csv (with the label as a column), idx (an "
      "images file in path and a labels file in labels) or libsvm",
      os_cfg_p_format, F(format), 0, 0, OS_KEY_HASHED },
    { "data", "features", "0", "libsvm: number of features, 0 taking the largest index in the "
      "file; synthetic blobs and linear: dimensions (0 means 2)", os_cfg_p_u64, F(features), 0,
      10000000, OS_KEY_HASHED },
    { "data", "generator", "spirals", "synthetic: spirals, moons, blobs or linear (regression)",
      os_cfg_p_generator, F(generator), 0, 0, OS_KEY_HASHED },
    { "data", "samples", "1000", "synthetic: rows to generate", os_cfg_p_u64, F(samples), 10,
      10000000, OS_KEY_HASHED },
    { "data", "classes", "3", "synthetic spirals and blobs: classes", os_cfg_p_u64, F(classes), 2,
      1000, OS_KEY_HASHED },
    { "data", "noise", "0.1", "synthetic: standard deviation of the noise", os_cfg_p_f64, F(noise), 0,
      100, OS_KEY_HASHED },
    { "data", "labels", NULL, "idx: the labels file (gzip or plain)", os_cfg_p_path, F(labels_path),
      0, 0, OS_KEY_HASHED },
    { "data", "pixel_scale", "true", "idx: divide image values by 255", os_cfg_p_bool, F(pixel_scale),
      0, 0, OS_KEY_HASHED },
    { "data", "test_path", NULL, "held-out test data in the same format; reported for the "
      "trials, never used to rank them", os_cfg_p_path, F(test_path), 0, 0, OS_KEY_HASHED },
    { "data", "test_labels", NULL, "idx: the test labels file", os_cfg_p_path, F(test_labels_path),
      0, 0, OS_KEY_HASHED },
    { "data", "header", "false", "the first line holds column names",
      os_cfg_p_bool, F(header), 0, 0, OS_KEY_HASHED },
    { "data", "label", "-1", "label column: 0-based index (negative counts from the end) or "
      "header name", os_cfg_p_label, F(label), 0, 0, OS_KEY_HASHED },
    { "data", "delimiter", ",", "field separator: one character, or comma, semicolon, tab, "
      "space, pipe", os_cfg_p_delimiter, F(delimiter), 0, 0, OS_KEY_HASHED },
    { "data", "task", "classification", "classification (softmax cross-entropy over integer "
      "classes 0..K-1) or regression (mean squared error)",
      os_cfg_p_task, F(task), 0, 0, OS_KEY_HASHED },
    { "data", "validation", "0.2", "fraction of rows held out for validation, drawn with the "
      "seed", os_cfg_p_f64, F(validation), 0.01, 0.9, OS_KEY_HASHED },
    { "data", "subset", "0", "training rows the trials draw batches from, a seeded subset; "
      "0 uses every training row", os_cfg_p_u64, F(subset), 0, 2147483647.0, OS_KEY_PLANNED },
    { "data", "subset_grow", "true", "with a [full] run on every training row: draw the "
      "trials from more rows than subset when they would pass over those more often than the "
      "full run passes over its data", os_cfg_p_bool, F(subset_grow), 0, 0, OS_KEY_PLANNED },
    { "data", "standardize", "true", "centre and scale every feature by training-part "
      "statistics", os_cfg_p_bool, F(standardize), 0, 0, OS_KEY_HASHED },

    { "model", "hidden", "64,32", "hidden layer widths, comma-separated, or none for a linear "
      "model", os_cfg_p_hidden, F(model), 0, 0, OS_KEY_HASHED },
    { "model", "activation", "relu", "hidden activation: relu, tanh, sigmoid, leaky_relu "
      "or gelu", os_cfg_p_activation, F(model.activation), 0, 0, OS_KEY_HASHED },
    { "model", "conv", "none", "convolution blocks before the dense layers, CHANNELS:KERNEL"
      "[:PAD] each (conv, activation, max-pool), or none for an MLP",
      os_cfg_p_conv, F(model), 0, 0, OS_KEY_HASHED },
    { "model", "pool", "2", "max-pool window after each convolution (1: none)", os_cfg_p_u64,
      F(model.pool), 1, 16, OS_KEY_HASHED },
    { "model", "image", "auto", "input geometry CxHxW for convolutions; auto takes it from "
      "IDX files", os_cfg_p_image, F(model.image), 0, 0, OS_KEY_HASHED },
    { "model", "init", "auto", "weight initialisation: auto (He for relu, Xavier otherwise), "
      "he or xavier", os_cfg_p_init, F(model.init), 0, 0, OS_KEY_HASHED },
    { "model", "loss", "auto", "classification loss: cross_entropy (softmax over the classes; "
      "what auto picks) or binary_cross_entropy (one sigmoid output, two classes; with hidden "
      "= none, logistic regression); regression always uses mse",
      os_cfg_p_loss, F(loss), 0, 0, OS_KEY_HASHED },
    { "model", "function", "none", "a 2-D test function to minimise instead of a network on "
      "data: rosenbrock, beale, rastrigin or quadratic",
      os_cfg_p_function, F(function), 0, 0, OS_KEY_HASHED },
    { "model", "start", "auto", "the function's starting point X, Y; auto takes its standard "
      "one", os_cfg_p_start, 0, 0, 0, OS_KEY_HASHED },

    { "search", "optimizers", NULL, "comma-separated optimizer labels (see --list-plugins); "
      "required", os_cfg_p_optimizers, 0, 0, 0, OS_KEY_PLANNED },
    { "search", "lr", NULL, "explicit learning rates for every optimizer, comma-separated, "
      "or auto (a range test per optimizer proposes them); instead of lr_range", os_cfg_p_lr_list,
      F(lr), 0, 0, OS_KEY_PLANNED },
    { "search", "lr_range", "0.01, 100", "learning rates from LOW to HIGH times each "
      "optimizer's default, log-spaced", os_cfg_p_lr_range, F(lr), 0, 0, OS_KEY_PLANNED },
    { "search", "lr_points", "9", "number of learning rates in lr_range", os_cfg_p_lr_points,
      F(lr), 0, 0, OS_KEY_PLANNED },
    { "search", "seeds", "1", "repetitions of every candidate with different initial weights "
      "and batch orders", os_cfg_p_u64, F(seeds), 1, 100, OS_KEY_PLANNED },
    { "search", "seed", "1", "study seed: the split, the subset and every trial derive from it",
      os_cfg_p_u64, F(seed), 0, 18446744073709551615.0, OS_KEY_HASHED },
    { "search", "steps", "300", "training steps per trial",
      os_cfg_p_u64, F(steps), 1, 1e9, OS_KEY_PLANNED },
    { "search", "epochs", "0", "the trial budget in epochs of the rows trials draw from "
      "(subset), instead of steps: steps = epochs x ceil(rows / batch_size); 0: not used",
      os_cfg_p_f64, F(epochs), 0, 1e6, OS_KEY_PLANNED },
    { "search", "fraction", "0", "the trial budget as a fraction of the full run ([full] steps "
      "or epochs), instead of steps; 0: not used",
      os_cfg_p_f64, F(fraction), 0, 1, OS_KEY_PLANNED },
    { "search", "seconds", "0", "the trial budget in wall-clock seconds per trial, instead of "
      "steps: a timed trial of the first candidate measures the time a step takes, and every "
      "trial then runs the same number of steps (the report says how many; a resumed study "
      "keeps them); 0: not used", os_cfg_p_f64, F(seconds), 0, 1e7, OS_KEY_PLANNED },
    { "search", "batch_size", "64", "rows per training step; a comma-separated list searches "
      "over batch sizes too, every candidate at each (the budget in steps, the same for "
      "each; the full run takes the recommended one)", os_cfg_p_batch_list, F(batch_size), 1,
      1e6, OS_KEY_PLANNED },
    { "search", "batch_split", "auto", "data-parallel steps: each step's batch is split into "
      "this many chunks whose gradients are summed in a fixed order; the chunks run on the "
      "threads the trials leave idle, and results depend on this value, never on the thread "
      "count; auto: split only when the study has fewer trials than the machine has "
      "cores and the step is mostly matrix products (a convolutional model, or a large "
      "batch), into as many chunks (of 16 rows or more, at most 16) as fill the cores",
      os_cfg_p_split, F(batch_split), 1, 64, OS_KEY_PLANNED },
    { "search", "eval_every", "25", "steps between validation-loss measurements", os_cfg_p_u64,
      F(eval_every), 1, 1e9, OS_KEY_HASHED },
    { "search", "eval_sample", "0", "validation rows (a seeded sample, each class its share) "
      "that the measurements before a trial's full budget use: the early rungs' decisions and "
      "the curves' intermediate points; the measurement at the full budget, which the "
      "ranking reads, uses every validation row; 0 uses every row throughout",
      os_cfg_p_u64, F(eval_sample), 0, 2147483647.0, OS_KEY_HASHED_SET },
    { "search", "smoothing", "0.9", "decay of the exponential average of the training loss",
      os_cfg_p_f64, F(smoothing), 0, 0.999, OS_KEY_HASHED },
    { "search", "diverge_factor", "4", "a trial diverges when its loss exceeds this multiple "
      "of its initial loss (or is not finite)",
      os_cfg_p_f64, F(diverge_factor), 1.01, 1e6, OS_KEY_HASHED },
    { "search", "strategy", "auto", "auto: halving when [full] declares the run the study "
      "is for (isolated or not), else grid, and grid with score = horizon; "
      "grid: every candidate trains for the "
      "whole budget; "
      "halving: successive halving, every candidate trains for min_steps, the best 1 in "
      "reduction_factor continue (from where they stopped) to reduction_factor times as many "
      "steps, and so on up to steps; hyperband: brackets of successive halving that start "
      "at each budget in turn, the first with every candidate, the later with samples; "
      "asha: asynchronous successive halving, which promotes a candidate as soon as it is "
      "among the best 1 in reduction_factor of its budget so far",
      os_cfg_p_strategy, F(strategy), 0, 0, OS_KEY_PLANNED },
    { "search", "asha_window", "16", "asha: each job is decided from the results of every "
      "job before it but the last asha_window, so the result is the same on any number of "
      "threads, processes or MPI ranks; at most this many jobs run at once: about four times "
      "the workers keeps them busy",
      os_cfg_p_u64, F(asha_window), 1, 1e6, OS_KEY_HASHED },
    { "search", "reduction_factor", "auto", "halving, hyperband, asha: 1 in this many "
      "candidates goes on to the next budget, which is (without rungs) this many times "
      "larger; auto: 4 with strategy = auto's rungs, else 3",
      os_cfg_p_split, F(reduction_factor), 2, 100, OS_KEY_PLANNED },
    { "search", "min_steps", "0", "halving, hyperband, asha: the first budget in steps; 0 takes "
      "steps / reduction_factor^2 (three budgets)", os_cfg_p_u64, F(min_steps), 0, 1e9,
      OS_KEY_PLANNED },
    { "search", "rungs", "auto", "halving, hyperband, asha: the budgets as fractions of steps, "
      "increasing, the last 1 (e.g. 0.125, 0.5, 1); auto: with strategy = auto (a [full] run) "
      "and neither reduction_factor nor min_steps given, 0.125, 0.5, 1 (measured on the "
      "selection suite, docs/selection-quality.md); otherwise from min_steps up, "
      "reduction_factor times each", os_cfg_p_rungs, F(rungs), 0, 0, OS_KEY_PLANNED },
    { "search", "score", "final", "how a trial's curve is scored: final (the last validation "
      "loss), last (the mean over the last 10% of the steps), auc (the mean over the trial) or "
      "extrapolated (the loss a + b t^-c fitted to the curve predicts at [full] steps) or "
      "horizon (final, each optimizer's rates moved to the [full] run's length; a grid only)",
      os_cfg_p_score, F(score), 0, 0, OS_KEY_HASHED },
    { "search", "horizon_exponent", "0.5", "score = horizon: how the best rate moves with the "
      "run's length, lr* proportional to length^-alpha; the trials' scores are carried to "
      "the [full] run's length by moving each optimizer's rates by that factor", os_cfg_p_f64,
      F(horizon_exponent), 0, 2, OS_KEY_IDLE },
    { "search", "rerun_top", "0", "the noise check: this many of the best candidates (at least 2) "
      "train again with more seeds (rerun_seeds in all) before the final choice, and so does "
      "any that rises among them after a rerun; a lead smaller than twice the seeds' "
      "standard error is reported as a tie; 0: off", os_cfg_p_u64,
      F(rerun_top), 0, 1000, OS_KEY_HASHED },
    { "search", "rerun_seeds", "3", "the noise check: seeds each rerun candidate ends up with "
      "(more than seeds, which its first trials used)",
      os_cfg_p_u64, F(rerun_seeds), 2, 100, OS_KEY_HASHED },
    { "search", "refine", "report", "after the ranking, a parabola in log(lr) through the "
      "winner's score and its two neighbouring rates' places the best rate between them and "
      "the band of rates within 1% of it; report: say so; train: also train that rate on the "
      "winner's seeds and recommend it when it scores lower (measured: it rarely predicts "
      "the full run better; docs/selection-quality.md); off",
      os_cfg_p_refine, F(refine), 0, 0, OS_KEY_IDLE },
    { "search", "schedule", "follow", "the trials' learning-rate schedule: follow (the full "
      "run's [full] schedule, compressed to the trial's steps) or constant (the peak rate "
      "throughout)", os_cfg_p_trial_schedule, F(schedule), 0, 0, OS_KEY_PLANNED },
    { "search", "decay", "all", "which tensors take the weight decay an optimizer's "
      "weight_decay asks for: all (as torch.optim does with one parameter group) or weights "
      "(dense and convolution weights; biases and norms take none, as a second group with "
      "weight_decay = 0 gives in torch)", os_cfg_p_decay, F(decay), 0, 0, OS_KEY_HASHED },
    { "search", "isolation", "none", "none: trials run as threads of optselect (fastest); "
      "process: each trial runs in a worker process, so a plugin that crashes, aborts, exits "
      "or hangs fails its trial and the study goes on",
      os_cfg_p_isolation, F(isolation), 0, 0, OS_KEY_IDLE },
    { "search", "trial_timeout", "0", "seconds a trial may run before it fails as timed out; "
      "0 for no limit (in-process trials check between steps; isolated ones are killed)",
      os_cfg_p_f64, F(trial_timeout), 0, 1e7, OS_KEY_HASHED },
    { "search", "max_crashes", "3", "with isolation = process: trials of one plugin file that "
      "may crash or time out before its remaining trials are skipped", os_cfg_p_u64, F(max_crashes),
      1, 1000000, OS_KEY_HASHED },

    { "trainer", "command", NULL, "the training program each trial runs instead of "
      "optselect's own model: its words with placeholders ({optimizer}, {lr}, {steps}, "
      "{seed}, {trial_dir}, {checkpoint}, any hyperparameter by name...; "
      "docs/trainers.md), which it reports its losses to as lines of "
      "'optselect: step=N val_loss=X'", os_cfg_p_command, F(command), 0, 0, OS_KEY_HASHED },
    { "trainer", "workdir", NULL, "the folder the command runs in; relative to the config "
      "file's directory; default: that directory", os_cfg_p_path, F(workdir), 0, 0, OS_KEY_HASHED },
    { "trainer", "threads", "1", "threads of each trial's process: OMP_NUM_THREADS, "
      "MKL_NUM_THREADS and OPENBLAS_NUM_THREADS (and {threads}), so that trials run side "
      "by side do not oversubscribe the cores",
      os_cfg_p_u64, F(trainer_threads), 1, 1024, OS_KEY_HASHED },

    { "full", "steps", "0", "the length of the full training run the study prepares, in "
      "steps; score = extrapolated predicts each candidate's loss there; 0: not given",
      os_cfg_p_u64, F(full_steps), 0, 1e12, OS_KEY_PLANNED },
    { "full", "epochs", "0", "the full run's length in epochs of its data (see data), "
      "instead of steps; 0: not used", os_cfg_p_f64, F(full_epochs), 0, 1e6, OS_KEY_PLANNED },
    { "full", "data", "all", "the rows the full run trains on: all (every training row) or "
      "subset (the trials' [data] subset)",
      os_cfg_p_full_data, F(full_data), 0, 0, OS_KEY_PLANNED },
    { "full", "batch_size", "0", "the full run's batch size; 0: the trials'", os_cfg_p_u64,
      F(full_batch), 0, 1e9, OS_KEY_PLANNED },
    { "full", "schedule", "constant", "the full run's learning-rate schedule: constant, "
      "cosine, linear (decay to floor), step (times gamma at each milestone) or wsd "
      "(warm-up, stable, decay over the last decay of the run); the rates searched are its "
      "peak", os_cfg_p_schedule, F(full_schedule), 0, 0, OS_KEY_PLANNED },
    { "full", "warmup", "0", "steps of linear warm-up to the peak (1 or more), or a fraction "
      "of the run (below 1); 0: none", os_cfg_p_f64, F(full_warmup), 0, 1e12, OS_KEY_PLANNED },
    { "full", "floor", "0", "the rate the decay ends at, as a fraction of the peak (step: "
      "the lowest its drops go)", os_cfg_p_f64, F(full_floor), 0, 1, OS_KEY_PLANNED },
    { "full", "decay", "0.2", "schedule = wsd: the fraction of the run (after warm-up) that "
      "decays", os_cfg_p_f64, F(full_decay), 1e-6, 1, OS_KEY_PLANNED },
    { "full", "milestones", "0.5, 0.75", "schedule = step: fractions of the run (after "
      "warm-up) where the rate drops",
      os_cfg_p_fractions, F(full_milestones), 0, 0, OS_KEY_PLANNED },
    { "full", "gamma", "0.1", "schedule = step: the factor at each milestone", os_cfg_p_f64,
      F(full_gamma), 1e-9, 1, OS_KEY_PLANNED },
    { "full", "seeds", "0", "optselect validate: seeds of each candidate's full run, their "
      "mean loss being what the selection is judged against; 0 takes [search] seeds",
      os_cfg_p_u64, F(full_seeds), 0, 100, OS_KEY_IDLE },
};
#undef F
const size_t os_cfg_n_keys = sizeof os_cfg_keys / sizeof *os_cfg_keys;
_Static_assert(sizeof os_cfg_keys / sizeof *os_cfg_keys <= OS_CFG_MAX_KEYS,
               "raise OS_CFG_MAX_KEYS");

/* Keys an [optimizer.X] section takes besides the plugin's hyperparameters. */
const os_key os_cfg_opt_keys[3] = {
    { "optimizer.LABEL", "lr", NULL, "learning rates for this optimizer (instead of lr_range)",
      os_cfg_p_lr_list, 0, 0, 0, OS_KEY_PLANNED },
    { "optimizer.LABEL", "lr_range", NULL, "lr_range for this optimizer", os_cfg_p_lr_range, 0,
      0, 0, OS_KEY_PLANNED },
    { "optimizer.LABEL", "lr_points", NULL, "lr_points for this optimizer", os_cfg_p_lr_points,
      0, 0, 0, OS_KEY_PLANNED },
};

void os_config_print_keys(FILE *out)
{
    fprintf(out, "(before the first section)\n  %-15s default %-12s %s\n", "include", "(none)",
            "include = FILE: FILE's settings first (relative to this file), which this file "
            "may override; up to 8 deep");
    const char *section = "";
    for (size_t i = 0; i < os_cfg_n_keys; i++) {
        if (strcmp(section, os_cfg_keys[i].section))
            fprintf(out, "%s[%s]\n", i ? "\n" : "", section = os_cfg_keys[i].section);
        fprintf(out, "  %-15s default %-12s %s\n", os_cfg_keys[i].name,
                os_cfg_keys[i].def ? os_cfg_keys[i].def : "(none)", os_cfg_keys[i].help);
    }
    fprintf(out, "\n[optimizer.LABEL]\n");
    for (size_t i = 0; i < 3; i++)
        fprintf(out, "  %-15s default %-12s %s\n", os_cfg_opt_keys[i].name, "[search]", os_cfg_opt_keys[i].help);
    fprintf(out, "  %-15s default %-12s %s\n", "plugin", "(none)",
            "plugin = NAME: LABEL is a variant of the loaded optimizer NAME, with its own "
            "hyperparameters and rates");
    fprintf(out, "  %-15s default %-12s %s\n", "NAME", "plugin's",
            "any hyperparameter of the optimizer (see --list-plugins); a comma-separated "
            "list searches over the values of a tunable one");
    fprintf(out, "\n[study NAME]\n  %-15s default %-12s %s\n", "SECTION.KEY", "the file's",
            "a study of its own: the file's settings with these replaced (e.g. search.steps = "
            "500); a file with [study] sections runs each, with a summary");
}

