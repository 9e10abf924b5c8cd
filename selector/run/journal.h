/*
 * journal.h — the append-only record of a study's finished trials, so that
 * an interrupted study (a signal, a crash, a power cut) loses no finished
 * work and resumes where it stopped.
 *
 * The journal is a text file: a header line with the study's fingerprint,
 * then one line per finished trial.  Every line ends with a CRC-32 of its
 * text, and a record counts only once it is written, flushed and fsync'd.
 * A torn last line (a crash during the write) is dropped on replay; a bad
 * line followed by good ones means the file was damaged, and replay refuses
 * it rather than guess.
 *
 * A trial record is also the message an isolated worker process sends its
 * parent (isolate.c): one encoding for both, exact to the last bit, so that
 * a resumed or isolated study ranks exactly as an uninterrupted one.
 */
#ifndef OS_JOURNAL_H
#define OS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "trial.h"

/* Encodes trial index's result as one checksummed line (with its '\n') in a
 * new buffer; NULL when out of memory.  *len gets the length. */
char *os_record_encode(size_t index, const os_trial_result *r, size_t *len);

/* Decodes one line (without its '\n').  Returns 0, -1 when the checksum or
 * the syntax is wrong, or -2 when out of memory; r is then left empty. */
int os_record_decode(const char *line, size_t len, size_t *index, os_trial_result *r);

typedef struct os_journal {
    int      fd;      /* -1 when closed */
    char    *path;
    uint64_t budget;  /* set before opening: a trial budget the header keeps
                         (the steps a wall-clock budget came to), so that a
                         resumed study trains to the same; 0: none         */
    uint32_t versions; /* set before opening: a hash of the plugins'
                          versions (ABI 1.2), which the header keeps; a
                          journal of other versions is refused with its own
                          message; 0: no plugin is versioned               */
    const char *versions_text; /* "adam 2, sgd 1", for that message       */
} os_journal;

/* The budget the header of the journal at path keeps; 0 when it keeps
 * none, or there is no readable journal there. */
uint64_t os_journal_budget(const char *path);

/* Opens the journal at path for a study of n trials with this fingerprint:
 * creates it (durably) when missing; otherwise replays it, filling
 * results[i] and setting done[i] for each trial it records, and cuts a torn
 * last line.  A journal of another study (fingerprint or size) is refused,
 * as is one damaged in the middle.  *n_done gets the trials replayed. */
int os_journal_open(os_journal *j, const char *path, uint64_t fingerprint, size_t n,
                    os_trial_result *results, unsigned char *done, size_t *n_done,
                    os_error *err);

/* Appends trial index's record and waits until it is on disk. */
int os_journal_append(os_journal *j, size_t index, const os_trial_result *r, os_error *err);

void os_journal_close(os_journal *j);

/* 64-bit FNV-1a, for fingerprints. */
uint64_t os_fnv1a(uint64_t h, const void *data, size_t len);
#define OS_FNV_INIT 0xcbf29ce484222325ull

#endif
