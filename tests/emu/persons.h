/*
 * ph-emu: persons and groups, as PostHog's ingestion builds them from the
 * events capture accepted, in arrival order (persons.c).
 */
#ifndef PH_EMU_PERSONS_H
#define PH_EMU_PERSONS_H

#include <stddef.h>

#include "emu.h"
#include "jscan.h"

/*
 * --persons: process accepted events.  Off by default: it costs ph-emu
 * about 50 us an event under its lock, which benchmarks must not pay.
 */
void		 persons_enable(void);

/*
 * Keep accepted events, oldest first, for processing when the persons
 * are next read (state_init); called with em->lock held.
 */
void		 persons_ingest(struct emu *, const struct jitem *, size_t n);

/*
 * GET /_emu/persons and /_emu/groups: the state, for tests.  Returns 1
 * when the url is one of them and *ret holds the answer.
 */
int		 persons_dump(struct emu *, struct MHD_Connection *,
		    const char *url, enum MHD_Result *ret);

#endif
