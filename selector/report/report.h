/*
 * report.h — writes a finished study as a text table, JSON or CSV.
 *
 * JSON and CSV hold only what the study computed (no timings, no thread
 * count), so the same seed gives byte-identical files on any machine
 * configuration that computes the same numbers.
 */
#ifndef OS_REPORT_H
#define OS_REPORT_H

#include <stdio.h>
#include "study.h"

typedef enum os_format { OS_FORMAT_TEXT, OS_FORMAT_JSON, OS_FORMAT_CSV } os_format;

/* "text", "json", "csv" → format; -1 if unknown. */
int os_format_from_name(const char *name);

/* Writes the report; returns 0 or -1 when the stream reports an error. */
int os_report_write(FILE *out, const os_study *s, os_format format);

/* Pieces of the renderings, for the reports built on them (validate.h):
 * a number as JSON (null for inf and NaN), a JSON string, a candidate's
 * hyperparameters as a JSON object, and those that differ from the
 * plugin's defaults, or are searched, as "k=v k=v" (empty when none). */
void os_json_num(FILE *out, double v);
/* A report's first members: "{", the version, the config, the study (when
 * it is one of a batch) and the seed, without a trailing comma. */
void os_json_head(FILE *out, const os_config *cfg);
/* key (the text before the value, e.g. ", \"lr\": "), then v as os_json_num. */
void os_json_field(FILE *out, const char *key, double v);
void os_json_str(FILE *out, const char *s);
void os_json_hparams(FILE *out, const os_candidate *c);
void os_changed_hparams(char *buf, size_t size, const os_candidate *c);
/* The candidate's label, lr and hyperparameters as the values of the keys
 * "optimizer", "lr" and "hparams", after the first key's name. */
void os_json_candidate(FILE *out, const os_candidate *c);

/* The full run the recommendation is for ([full]: its steps, rows, batch
 * and schedule) and the schedule the trials followed (report_run.c): text
 * lines, and the JSON member "full_run" with its trailing comma. */
void os_report_full_text(FILE *out, const os_study *s);
void os_report_full_json(FILE *out, const os_study *s);

/* The renderings os_report_write dispatches to (report_text.c,
 * report_json.c), and where the data came from, as both name it: its
 * path, or "synthetic GENERATOR" (built in buf). */
void os_report_text(FILE *out, const os_study *s);
void os_report_json(FILE *out, const os_study *s);
const char *os_report_data_source(const os_config *cfg, char *buf, size_t size);

/* Every trial's curve, one row per point: curves.csv of a results folder. */
int os_report_curves_csv(FILE *out, const os_study *s);

/* One study's line in the summary that ends a batch of studies. */
typedef struct os_summary_row {
    char   study[72];
    char   error[1024];    /* why the study could not run, or ""           */
    int    recommended;    /* a trial finished: optimizer, lr, score hold  */
    int    interrupted;
    char   optimizer[72];
    char   hparams[256];   /* those that differ from the defaults          */
    double lr, score, val_acc, seconds;
    size_t trials;
} os_summary_row;

void os_summary_fill(os_summary_row *row, const os_study *s);

/* A batch on one stream: begin; for each study, study_begin (which returns
 * the stream its report goes to), the report, study_end (error: why it did
 * not run, or NULL); then end, with the summary.  Text: a header per study
 * and a summary table.  JSON: {"studies": [{"study", "report"}...],
 * "summary": [...]}.  CSV: one table, its first column the study. */
void  os_batch_begin(FILE *out, os_format format);
FILE *os_batch_study_begin(FILE *out, os_format format, const char *study, size_t index);
void  os_batch_study_end(FILE *out, os_format format, FILE *report, const char *study,
                         size_t index, const char *error);
void  os_batch_end(FILE *out, os_format format, const os_summary_row *rows, size_t n);

#endif
