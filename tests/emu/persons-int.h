/*
 * ph-emu: the persons and groups state that persons.c builds from events
 * and persons-api.c loads from a file and serves.  Every access holds
 * ps.lock.
 */
#ifndef PH_EMU_PERSONS_INT_H
#define PH_EMU_PERSONS_INT_H

#include <pthread.h>
#include <stdint.h>

#include <json.h>

#include "emu.h"
#include "uuid.h"

#define MAX_GROUP_TYPES	5	/* group-type-manager.ts MAX_GROUP_TYPES_PER_TEAM */

enum version { V2021, V2022, V2024, V2026 };

struct person {
	json_object	*props;
	json_object	*dids;		/* array of strings, arrival order */
	int		 identified;
	int		 alive;
	int64_t		 id;		/* the Postgres pk, in creation order */
	int64_t		 created;	/* created_at, microseconds */
	char		 uuid[UUID_STRLEN + 1];
};

struct pstate {
	pthread_mutex_t	 lock;
	struct person	*p;
	size_t		 n, cap;
	json_object	*by_did;	/* distinct_id -> index into p */
	json_object	*types;		/* group type names by index, or null */
	json_object	*groups;	/* "index:key" -> group object */
	json_object	*warnings;	/* PostHog's ingestion warnings */
	json_object	*warn_counts;	/* type -> count */
	json_object	*defs;		/* person property names ever set */
	json_object	*gdefs[MAX_GROUP_TYPES];	/* group ones, by type */
	unsigned long	 events, dropped, personless;
};

extern struct pstate ps;

enum version	 version_of(const struct emu *);
void		 state_init(void);

/* A member of an object, or NULL (o may be NULL or not an object). */
json_object	*jo_get(json_object *o, const char *key);
int		 jo_has(json_object *o, const char *key);
int		 jo_is_obj(json_object *o);
int		 truthy(json_object *);
/* JavaScript's String(x); the caller frees. */
char		*js_string(json_object *);
void		 copy_members(json_object *to, json_object *from);

struct person	*person_of(const char *did);
/* A new person with no distinct_id yet. */
struct person	*person_new(int64_t created);
void		 add_distinct_id(struct person *, const char *did);
/* Its uuid, derived from a distinct_id as uuidFromDistinctId does. */
void		 person_uuid(struct person *, const char *did);
/* The name of group type index i, or NULL. */
const char	*group_type_name(int i);
/* Register name at index i (a loaded mapping): 0, or -1 if taken. */
int		 group_type_set(const char *name, int i);
/* Record the keys of o (an object) as person property definitions. */
void		 define_keys(json_object *o);
/* The same for the group properties of type index i. */
void		 define_group_keys(int i, json_object *o);
/* The group of type index i and key, created empty if need be. */
json_object	*group_get(int i, const char *key, int64_t created);

#endif
