/* A thread pool for the runner: one job per node, a bounded number at once. */
#ifndef V4_POOL_H
#define V4_POOL_H

#include <stddef.h>

/* Calls fn(arg, i) for every i in [0, n), on at most width threads (each
 * takes the next i when done with one); returns when all are done. */
void v4_pool_for(size_t n, int width, void (*fn)(void *arg, size_t i), void *arg);

#endif
