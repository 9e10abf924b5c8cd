/*
 * world.h — the ranks of an MPI study: `mpirun -np N optselect CONFIG.ini`.
 *
 * Every rank runs the same program on the same inputs: it reads the
 * config, loads the plugins and the data, and walks the same study steps
 * (preparing, calibrating, the strategy, the reruns, the refinement,
 * validate's full runs) in the same order.  Only rank 0 decides: it runs
 * each step's strategy and sends "train trial i to step B" to the other
 * ranks (exec_mpi.c); at the end of the step it sends every rank all the
 * results, so the next step starts from the same state everywhere.  Only
 * rank 0 prints a report, writes the results folder, keeps the journal and
 * times `[search] seconds`.  Without MPI (or with one rank) every function
 * here is the one-process answer.
 *
 * Messages are point to point and polled (MPI_Iprobe and a short sleep): a
 * rank waiting for work does not spin on the cores the others train on.
 * Every message from rank 0 carries the step's sequence number, so a rank
 * that is out of step (a study that differs on another machine) says so
 * instead of training the wrong trials.
 */
#ifndef OS_WORLD_H
#define OS_WORLD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

/* Message kinds (MPI tags). */
enum {
    OS_TAG_TRAIN = 1, /* 0 → r: seq, trial, until, finish, check            */
    OS_TAG_ANSWER,    /* r → 0: seq, then the trial's record (journal.h)     */
    OS_TAG_RESULTS,   /* 0 → r: seq, rc, stop, the error, every record       */
    OS_TAG_SHARE,     /* 0 → r: seq, then bytes (the timed steps)            */
    OS_TAG_QUIT,      /* 0 → r: rank 0 is done; leave the study              */
    OS_TAG_GONE,      /* r → 0: this rank leaves: its status and error       */
    OS_TAG_BYE        /* 0 → r: everyone has left; the exit status           */
};

/* A received message; data is the world's until the next poll. */
typedef struct os_msg {
    int         from, tag;
    const char *data;
    size_t      len;
} os_msg;

/* Starts MPI when this process is one of several ranks (mpirun's
 * environment says so) or when forced (--mpi).  Ranks other than 0 get
 * /dev/null as standard output.  Fails when mpirun started several ranks
 * of an optselect built without MPI: each would run the whole study. */
int  os_world_init(int *argc, char ***argv, int forced, os_error *err);
int  os_world_built(void);  /* whether this build has MPI */
int  os_world_rank(void);   /* 0 without MPI */
int  os_world_size(void);   /* 1 without MPI */
static inline int os_world_worker(void) { return os_world_rank() > 0; }
static inline int os_world_ranks(void) { return os_world_size() > 1; }

/* The study's stop flag (main's signal flag): a rank other than 0 takes
 * rank 0's value with each step's results. */
void os_world_set_stop(volatile sig_atomic_t *stop);
volatile sig_atomic_t *os_world_stop(void);

/* The next step's sequence number: every rank counts the same steps. */
uint64_t os_world_next_seq(void);

/* Sends len bytes to rank `to`.  0 or OS_ERR_IO. */
int os_world_send(int to, int tag, const void *data, size_t len, os_error *err);
/* Waits up to wait_s seconds (< 0: for ever) for a message from `from`
 * (-1: any rank).  Returns 1 with *m, 0 for none, or an error.  A GONE
 * message marks its rank as gone (os_world_gone) before it is returned. */
int os_world_poll(int from, double wait_s, os_msg *m, os_error *err);

/* Whether rank r has left; its error when it left with one. */
int         os_world_gone(int r);
const char *os_world_gone_why(int r);

/* Rank 0: sends len bytes of data to every rank; other ranks: receives
 * them into data (exactly len).  For what only rank 0 may compute (the
 * seconds' timing).  0, OS_ERR_QUIT (rank 0 ended the study) or an error. */
int os_world_share(void *data, size_t len, os_error *err);

/* The end of main(): every rank leaves together.  rc and msg: this rank's
 * outcome; status: the exit status it would have.  Rank 0 tells the others
 * to leave, collects their outcomes (one that failed alone is printed
 * here, as "rank R: ..."), and sends everyone the final status, which is
 * returned; with one process, status itself. */
int os_world_end(int rc, const char *msg, int status);

#endif
