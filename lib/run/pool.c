/* The runner's thread pool. */
#include <pthread.h>
#include <stdlib.h>

#include "pool.h"
#include "util.h"

struct pool {
	pthread_mutex_t mu;
	size_t next, n;
	void (*fn)(void *arg, size_t i);
	void *arg;
};

/* Worker thread: takes the next index until none are left. */
static void *worker(void *p)
{
	struct pool *pl = p;
	for (;;) {
		pthread_mutex_lock(&pl->mu);
		size_t i = pl->next++;
		pthread_mutex_unlock(&pl->mu);
		if (i >= pl->n)
			return NULL;
		pl->fn(pl->arg, i);
	}
}

void v4_pool_for(size_t n, int width, void (*fn)(void *arg, size_t i), void *arg)
{
	struct pool pl = {PTHREAD_MUTEX_INITIALIZER, 0, n, fn, arg};
	size_t nt = (size_t)(width > 0 ? width : 1);
	if (nt > n)
		nt = n;
	if (nt <= 1) {
		worker(&pl);
		return;
	}
	pthread_t *th = xcalloc(nt, sizeof *th);
	size_t started = 0;
	for (size_t i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, worker, &pl) == 0)
			started++;
		else
			break;
	if (!started)
		worker(&pl);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
}
