/*
 * blas.h — keeps the BLAS at full speed and out of the way of OpenMP.
 *
 * OpenBLAS picks its kernels from the CPU it detects; on some virtual
 * machines it detects an old core (Prescott, Haswell on an AVX-512 CPU) and
 * runs sgemm several times slower.  The core type can only be chosen before
 * the library initialises, that is, before main(); so main() asks
 * os_blas_wanted_coretype() and, if it names a better core, re-executes
 * itself with OPENBLAS_CORETYPE set.
 */
#ifndef OS_BLAS_H
#define OS_BLAS_H

/* The OPENBLAS_CORETYPE this CPU should use, or NULL when the detected core
 * is right, the user chose one, or the BLAS is not OpenBLAS. */
const char *os_blas_wanted_coretype(void);

/* A one-line note when OPENBLAS_CORETYPE is set by the user to a core
 * weaker than this CPU supports, else NULL.  optselect respects the choice
 * but says what it costs. */
const char *os_blas_advice(void);

/* Threads the BLAS may use inside one call.  Trials run one per OpenMP
 * thread, so the BLAS gets 1: its own threads would oversubscribe cores. */
void os_blas_set_threads(int n);

/* "OpenBLAS 0.3.21 ... core SkylakeX", or the CBLAS's name. */
const char *os_blas_describe(void);

#endif
