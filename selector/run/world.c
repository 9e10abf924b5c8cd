/*
 * world.c — see world.h.  The MPI calls of optselect, but for the
 * executor's own protocol (exec_mpi.c), which sends and polls through here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"
#include "world.h"
#ifdef HAVE_MPI
#include <mpi.h>
#endif

static int rank, size = 1;
static volatile sig_atomic_t *flow_stop;
static uint64_t seq;
static unsigned char *gone;           /* per rank */
static char (*gone_why)[OS_ERROR_MSG_MAX];

int os_world_rank(void) { return rank; }
#ifdef HAVE_MPI
int os_world_built(void) { return 1; }
#else
int os_world_built(void) { return 0; }
#endif
int os_world_size(void) { return size; }
void os_world_set_stop(volatile sig_atomic_t *stop) { flow_stop = stop; }
volatile sig_atomic_t *os_world_stop(void) { return flow_stop; }
uint64_t os_world_next_seq(void) { return ++seq; }
int os_world_gone(int r) { return gone && r > 0 && r < size && gone[r]; }
const char *os_world_gone_why(int r) { return os_world_gone(r) ? gone_why[r] : ""; }

/* How many ranks the launcher started, from its environment; 0: none. */
static long launched_ranks(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE" };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return 0;
}

#ifndef HAVE_MPI

int os_world_init(int *argc, char ***argv, int forced, os_error *err)
{
    long n = launched_ranks();
    if (n > 1)
        return os_error_set(err, OS_ERR_USAGE, "started as one of %ld MPI ranks, but this "
                            "optselect was built without MPI (install libopenmpi-dev and "
                            "configure --with-mpi); every rank would run the whole study", n);
    if (forced)
        return os_error_set(err, OS_ERR_USAGE, "--mpi: this optselect was built without MPI "
                            "(install libopenmpi-dev and configure --with-mpi)");
    return 0;
}

int os_world_send(int to, int tag, const void *data, size_t len, os_error *err)
{
    return os_error_set(err, OS_ERR_IO, "no MPI in this build");
}

int os_world_poll(int from, double wait_s, os_msg *m, os_error *err)
{
    return os_error_set(err, OS_ERR_IO, "no MPI in this build");
}

int os_world_share(void *data, size_t len, os_error *err) { return 0; }

int os_world_end(int rc, const char *msg, int status) { return status; }

#else /* HAVE_MPI */

static int started;      /* MPI_Init was called */
static char *inbox;      /* the last message polled */
static size_t inbox_cap;

int os_world_init(int *argc, char ***argv, int forced, os_error *err)
{
    if (!forced && launched_ranks() < 1)
        return 0;
    int provided;
    /* one thread calls MPI (the main one); OpenMP threads train */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return os_error_set(err, OS_ERR_IO, "MPI_Init failed");
    started = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    gone = calloc((size_t)size, 1);
    gone_why = calloc((size_t)size, sizeof *gone_why);
    if (!gone || !gone_why)
        return os_error_set(err, OS_ERR_NOMEM, "out of memory for %d ranks", size);
    if (rank > 0 && !freopen("/dev/null", "w", stdout))
        return os_error_set(err, OS_ERR_IO, "rank %d: /dev/null: cannot open", rank);
    return 0;
}

int os_world_send(int to, int tag, const void *data, size_t len, os_error *err)
{
    if (len > (size_t)0x7fffffff)
        return os_error_set(err, OS_ERR_IO, "an MPI message of %zu bytes is too long", len);
    if (MPI_Send(data, (int)len, MPI_BYTE, to, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
        return os_error_set(err, OS_ERR_IO, "MPI rank %d: cannot send to rank %d", rank, to);
    return 0;
}

int os_world_poll(int from, double wait_s, os_msg *m, os_error *err)
{
    const double until = os_seconds() + wait_s;
    long nap = 20000; /* ns, doubling to 1 ms: fast answers, idle waits */
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(from < 0 ? MPI_ANY_SOURCE : from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag,
                       &st) != MPI_SUCCESS)
            return os_error_set(err, OS_ERR_IO, "MPI rank %d: cannot poll for messages", rank);
        if (flag) {
            int count;
            MPI_Get_count(&st, MPI_BYTE, &count);
            if (os_reserve(&inbox, &inbox_cap, (size_t)count + 1, 4096))
                return os_error_set(err, OS_ERR_NOMEM, "out of memory for a message of %d "
                                    "bytes", count);
            if (MPI_Recv(inbox, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE) != MPI_SUCCESS)
                return os_error_set(err, OS_ERR_IO, "MPI rank %d: cannot receive from rank "
                                    "%d", rank, st.MPI_SOURCE);
            inbox[count] = 0;
            *m = (os_msg){ .from = st.MPI_SOURCE, .tag = st.MPI_TAG, .data = inbox,
                           .len = (size_t)count };
            if (m->tag == OS_TAG_GONE && gone && m->from > 0 && m->from < size) {
                gone[m->from] = 1;
                int code = 0;
                if (m->len >= 2 * sizeof(int))
                    memcpy(&code, m->data + sizeof(int), sizeof code);
                if (code && m->len > 2 * sizeof(int))
                    snprintf(gone_why[m->from], sizeof *gone_why, "%s",
                             m->data + 2 * sizeof(int));
            }
            return 1;
        }
        if (wait_s >= 0 && os_seconds() >= until)
            return 0;
        struct timespec ts = { 0, nap };
        nanosleep(&ts, NULL);
        if (nap < 1000000)
            nap *= 2;
    }
}

int os_world_share(void *data, size_t len, os_error *err)
{
    if (size < 2)
        return 0;
    const uint64_t s = os_world_next_seq();
    if (rank == 0) {
        char *buf = malloc(sizeof s + len);
        if (!buf)
            return os_error_set(err, OS_ERR_NOMEM, "out of memory");
        memcpy(buf, &s, sizeof s);
        memcpy(buf + sizeof s, data, len);
        int rc = 0;
        for (int r = 1; r < size && !rc; r++)
            if (!gone[r])
                rc = os_world_send(r, OS_TAG_SHARE, buf, sizeof s + len, err);
        free(buf);
        return rc;
    }
    for (;;) {
        os_msg m;
        int got = os_world_poll(0, -1, &m, err);
        if (got < 0)
            return got;
        if (m.tag == OS_TAG_QUIT)
            return os_error_set(err, OS_ERR_QUIT, "rank 0 ended the study");
        uint64_t ms = 0;
        if (m.len >= sizeof ms)
            memcpy(&ms, m.data, sizeof ms);
        if (m.tag != OS_TAG_SHARE || ms != s || m.len != sizeof s + len)
            return os_error_set(err, OS_ERR_IO, "MPI rank %d is out of step with rank 0 "
                                "(expected its timing, step %llu); is the study the same on "
                                "every machine?", rank, (unsigned long long)s);
        memcpy(data, m.data + sizeof s, len);
        return 0;
    }
}

/* Rank 0: the outcome of every other rank, each told to leave; the first
 * that failed on its own is printed. */
static int collect(int status)
{
    const double deadline = os_seconds() + 30;
    int printed = 0;
    for (int r = 1; r < size; r++)
        if (!gone[r])
            os_world_send(r, OS_TAG_QUIT, "", 0, NULL);
    for (int r = 1; r < size; r++) {
        while (!gone[r]) {
            os_msg m;
            os_error e = { 0 };
            double left = deadline - os_seconds();
            int got = os_world_poll(r, left > 0 ? left : 0, &m, &e);
            if (got <= 0) {
                fprintf(stderr, "optselect: MPI rank %d did not leave the study within 30 s; "
                        "aborting the MPI job\n", r);
                MPI_Abort(MPI_COMM_WORLD, status ? status : 1);
            }
        }
        if (gone_why[r][0] && !status && !printed) {
            fprintf(stderr, "optselect: rank %d: %s\n", r, gone_why[r]);
            printed = 1;
            status = 1;
        }
    }
    return status;
}

int os_world_end(int rc, const char *msg, int status)
{
    if (!started)
        return status;
    if (size < 2) {
        MPI_Finalize(); /* mpirun -np 1, or --mpi alone */
        free(gone);
        free(gone_why);
        return status;
    }
    if (rank == 0) {
        status = collect(status);
        for (int r = 1; r < size; r++)
            os_world_send(r, OS_TAG_BYE, &status, sizeof status, NULL);
    } else {
        /* status, code, message: what rank 0 prints when it had no error
         * of its own (a rank's own cause: a file only it cannot read) */
        char buf[2 * sizeof(int) + OS_ERROR_MSG_MAX] = { 0 };
        int code = rc == OS_ERR_QUIT ? 0 : rc;
        memcpy(buf, &status, sizeof status);
        memcpy(buf + sizeof status, &code, sizeof code);
        snprintf(buf + 2 * sizeof(int), OS_ERROR_MSG_MAX, "%s", code && msg ? msg : "");
        os_world_send(0, OS_TAG_GONE, buf, sizeof buf, NULL);
        for (;;) { /* whatever else rank 0 sent is moot now */
            os_msg m;
            if (os_world_poll(0, -1, &m, NULL) < 0)
                break;
            if (m.tag == OS_TAG_BYE && m.len == sizeof status) {
                memcpy(&status, m.data, sizeof status);
                break;
            }
        }
    }
    MPI_Finalize();
    free(inbox);
    free(gone);
    free(gone_why);
    return status;
}

#endif
