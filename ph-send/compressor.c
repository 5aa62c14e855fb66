#include <pthread.h>
#include <stdlib.h>

#include "compressor.h"
#include "xalloc.h"

struct compressor {
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* a job came, or stop */
	struct batch		*head;		/* jobs, oldest first */
	struct batch		*tail;
	int			 stop;
	int			 n;
	pthread_t		*threads;
	const struct envelope	*env;
	CURLM			*wake;
};

static struct batch *
take_job(struct compressor *c)
{
	struct batch *b;

	pthread_mutex_lock(&c->lock);
	while (c->head == NULL && !c->stop)
		pthread_cond_wait(&c->work, &c->lock);
	if ((b = c->head) != NULL) {
		c->head = b->job_next;
		if (c->head == NULL)
			c->tail = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	return b;
}

static void *
worker(void *arg)
{
	struct compressor *c = arg;
	struct buf scratch = { 0 };
	struct batch *b;
	int r;

	while ((b = take_job(c)) != NULL) {
		r = batch_build(b, c->env, &scratch);
		pthread_mutex_lock(&c->lock);
		b->built = r == 0 ? 1 : -1;
		pthread_mutex_unlock(&c->lock);
		curl_multi_wakeup(c->wake);
	}
	buf_free(&scratch);
	return NULL;
}

struct compressor *
compressor_new(int n, const struct envelope *env, CURLM *wake)
{
	struct compressor *c = xcalloc(1, sizeof(*c));
	int i;

	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->work, NULL);
	c->env = env;
	c->wake = wake;
	c->threads = xcalloc((size_t)n, sizeof(*c->threads));
	for (i = 0; i < n; i++) {
		if (pthread_create(&c->threads[i], NULL, worker, c) != 0)
			break;
		c->n++;
	}
	if (c->n == 0) {
		compressor_free(c);
		return NULL;
	}
	return c;
}

void
compressor_submit(struct compressor *c, struct batch *b)
{
	pthread_mutex_lock(&c->lock);
	b->built = 0;
	b->job_next = NULL;
	if (c->tail != NULL)
		c->tail->job_next = b;
	else
		c->head = b;
	c->tail = b;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->lock);
}

int
compressor_done(struct compressor *c, const struct batch *b)
{
	int built;

	pthread_mutex_lock(&c->lock);
	built = b->built;
	pthread_mutex_unlock(&c->lock);
	return built;
}

void
compressor_free(struct compressor *c)
{
	int i;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	c->head = c->tail = NULL;	/* queued jobs are dropped */
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < c->n; i++)
		pthread_join(c->threads[i], NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->work);
	free(c->threads);
	free(c);
}
