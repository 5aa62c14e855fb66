/*
 * ph-emu: the persons and groups read APIs (persons-api.c), serving what
 * --load-persons loaded and what ingestion built.
 */
#ifndef PH_EMU_PERSONS_API_H
#define PH_EMU_PERSONS_API_H

#include "emu.h"

/*
 * Load persons, groups and group types from NDJSON, one record a line
 * (the shapes tests/persons-diff.py reads).  NULL path: nothing.  0, or
 * -1 with a message naming the line.
 */
int		 persons_load(const char *path);

/*
 * GET /api/projects/ID/persons/, groups_types/, groups/: 1 when the url
 * is one of them and *ret holds the answer, else 0.
 */
int		 persons_api(struct emu *, struct MHD_Connection *,
		    struct req *, const char *url, const char *method,
		    enum MHD_Result *ret);

/*
 * The query API's persons and person_distinct_ids tables, for the
 * keyset queries ph-fetch --persons sends (persons-query.c): 1 when q is
 * one of them and *ret holds the answer, else 0.
 */
int		 persons_query(struct emu *, struct MHD_Connection *,
		    struct req *, const char *q, enum MHD_Result *ret);

#endif
