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

#endif
