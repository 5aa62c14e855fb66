/*
 * ph-emu: the query API's persons tables, as ph-fetch --persons reads
 * them by keyset (the queries persons.c in ph-fetch sends, and nothing
 * else).  Cited from PostHog/posthog:
 *
 *   posthog/hogql/database/schema/persons.py (2023-26, every version
 *     with a query API): the persons table has id, created_at,
 *     team_id, properties (a JSON string), is_identified and the pdi
 *     join; it is a lazy table over raw_persons (ClickHouse's person)
 *     that keeps the latest version of each id (argMax on version) and
 *     leaves out deleted ones (is_deleted), so a merged-away person is
 *     simply gone.
 *   posthog/hogql/database/schema/person_distinct_ids.py (2023-26):
 *     distinct_id, person_id, team_id and the person join, over
 *     person_distinct_id2 with the latest version of each distinct_id,
 *     deleted ones left out: a distinct_id is listed once, under the
 *     person that holds it now.
 *   posthog/models/person/sql.py: created_at is a DateTime64(3) there:
 *     milliseconds; properties a String of JSON text, which HogQL
 *     returns as a string, the text as stored.  PostHog writes that
 *     text with JSON.stringify (generateKafkaPersonUpdateMessage in
 *     plugin-server/src/utils/db/utils.ts, 2022-26), so a real one
 *     holds JavaScript's numbers; the emulator serves a loaded person's
 *     text as loaded, every digit, so that the tests see any ph-fetch
 *     would drop.
 *   posthog/hogql/constants.py: LIMIT capped at MAX_SELECT_RETURNED_ROWS
 *     (10,000 in 2023-24, 50,000 since), silently (--query-cap).
 *
 * id and person_id are UUIDs in ClickHouse; the emulator compares them
 * as their text, which keeps what ph-fetch relies on: the order of
 * ORDER BY is the order of > and <=.  Each answer logs the rows it
 * returned and the rows it scanned: a keyset page scans what it
 * returns, however deep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "isotime.h"
#include "jscan.h"
#include "persons-api.h"
#include "persons-int.h"
#include "xalloc.h"

#define PERSONS_SELECT	"SELECT id, toString(toTimeZone(created_at, 'UTC')), " \
	"properties FROM persons"
#define IDS_SELECT	"SELECT person_id, distinct_id FROM person_distinct_ids " \
	"WHERE person_id >= toUUID('"

/* The persons in uuid order: rebuilt when persons were added. */
static struct person **by_uuid;
static const struct person *by_uuid_of;	/* the ps.p it was built on */
static size_t by_uuid_n;

static int
uuid_order(const void *a, const void *b)
{
	return strcmp((*(struct person *const *)a)->uuid,
	    (*(struct person *const *)b)->uuid);
}

static void
index_persons(void)
{
	size_t i;

	if (by_uuid != NULL && by_uuid_n == ps.n && by_uuid_of == ps.p)
		return;
	by_uuid = xreallocarray(by_uuid, ps.n + 1, sizeof(*by_uuid));
	for (i = 0; i < ps.n; i++)
		by_uuid[i] = &ps.p[i];
	qsort(by_uuid, ps.n, sizeof(*by_uuid), uuid_order);
	by_uuid_n = ps.n;
	by_uuid_of = ps.p;
}

/* The first position whose uuid is past id (or at it, when at is set). */
static size_t
seek(const char *id, int at)
{
	size_t lo = 0, hi = by_uuid_n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(by_uuid[mid]->uuid, id);
		if (c < 0 || (c == 0 && !at))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The quoted literal right at s, unescaped into out; its end, or NULL. */
static const char *
literal(const char *s, char *out, size_t size)
{
	size_t n = 0;

	if (*s++ != '\'')
		return NULL;
	for (; *s != '\0' && *s != '\''; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		if (n + 1 < size)
			out[n++] = *s;
	}
	out[n] = '\0';
	return *s == '\'' ? s + 1 : NULL;
}

/* " ORDER BY ... LIMIT n" exactly at s, and nothing after. */
static int
order_limit(const char *s, const char *order, size_t *limit)
{
	char *end;

	if (strncmp(s, order, strlen(order)) != 0)
		return -1;
	s += strlen(order);
	if (strncmp(s, " LIMIT ", 7) != 0)
		return -1;
	*limit = strtoul(s + 7, &end, 10);
	return *end == '\0' && *limit > 0 ? 0 : -1;
}

static size_t
capped(const struct emu *em, size_t limit)
{
	return em->c.query_cap > 0 && limit > em->c.query_cap ?
	    em->c.query_cap : limit;
}

/* toString(toTimeZone(created_at, 'UTC')) of a DateTime64(3). */
static void
created_text(int64_t us, struct buf *b)
{
	char t[ISOTIME_LEN];

	isotime_ch(us - ((us % 1000) + 1000) % 1000, t);
	t[23] = '\0';
	js_escape(b, t, strlen(t));
}

/* SELECT ... FROM persons [WHERE id > toUUID('x')] ORDER BY id ASC. */
static int
persons_rows(struct emu *em, const char *q, struct buf *b, struct req *r)
{
	char after[UUID_STRLEN + 8];
	const char *s = q + strlen(PERSONS_SELECT), *props;
	size_t limit, i, n = 0, scanned = 0;

	i = 0;
	if (strncmp(s, " WHERE id > toUUID(", 19) == 0) {
		if ((s = literal(s + 19, after, sizeof(after))) == NULL ||
		    *s++ != ')')
			return -1;
		index_persons();
		i = seek(after, 0);
	}
	if (order_limit(s, " ORDER BY id ASC", &limit) == -1)
		return -1;
	index_persons();
	limit = capped(em, limit);
	for (; i < by_uuid_n && n < limit; i++) {
		const struct person *p = by_uuid[i];

		scanned++;
		if (!p->alive)
			continue;
		buf_addstr(b, n++ > 0 ? ",[" : "[");
		js_escape(b, p->uuid, strlen(p->uuid));
		buf_addc(b, ',');
		created_text(p->created, b);
		buf_addc(b, ',');
		props = json_object_to_json_string_ext(p->props,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		js_escape(b, props, strlen(props));
		buf_addc(b, ']');
	}
	buf_printf(&r->log, ",\"table\":\"persons\",\"rows\":%zu,\"scanned\":%zu",
	    n, scanned);
	return 0;
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A person's distinct_ids past from (all when from is NULL), in order,
 * as rows of b, up to *room of them.
 */
static void
id_rows(const struct person *p, const char *from, struct buf *b, size_t *n,
    size_t *room, size_t *scanned)
{
	size_t i, k = json_object_array_length(p->dids);
	const char **v = xreallocarray(NULL, k + 1, sizeof(*v));

	for (i = 0; i < k; i++)
		v[i] = json_object_get_string(json_object_array_get_idx(p->dids,
		    i));
	qsort(v, k, sizeof(*v), by_text);
	for (i = 0; i < k && *room > 0; i++) {
		if (from != NULL && strcmp(v[i], from) <= 0)
			continue;
		(*scanned)++;
		buf_addstr(b, (*n)++ > 0 ? ",[" : "[");
		js_escape(b, p->uuid, strlen(p->uuid));
		buf_addc(b, ',');
		js_escape(b, v[i], strlen(v[i]));
		buf_addc(b, ']');
		(*room)--;
	}
	free(v);
}

/*
 * SELECT person_id, distinct_id FROM person_distinct_ids WHERE person_id
 * >= toUUID('lo') AND person_id <= toUUID('hi') [AND (person_id >
 * toUUID('p') OR (person_id = toUUID('p') AND distinct_id > 'd'))]
 * ORDER BY person_id ASC, distinct_id ASC LIMIT n.
 */
static int
ids_rows(struct emu *em, const char *q, struct buf *b, struct req *r)
{
	char lo[UUID_STRLEN + 8], hi[UUID_STRLEN + 8], from[UUID_STRLEN + 8],
	    from_id[1024];
	const char *s = q + strlen(IDS_SELECT) - 1;
	size_t limit, i, n = 0, scanned = 0;
	int resume = 0;

	if ((s = literal(s, lo, sizeof(lo))) == NULL ||
	    strncmp(s, ") AND person_id <= toUUID(", 26) != 0 ||
	    (s = literal(s + 26, hi, sizeof(hi))) == NULL || *s++ != ')')
		return -1;
	if (strncmp(s, " AND (person_id > toUUID(", 25) == 0) {
		if ((s = literal(s + 25, from, sizeof(from))) == NULL ||
		    strncmp(s, ") OR (person_id = toUUID(", 25) != 0 ||
		    (s = literal(s + 25, from, sizeof(from))) == NULL ||
		    strncmp(s, ") AND distinct_id > ", 20) != 0 ||
		    (s = literal(s + 20, from_id, sizeof(from_id))) == NULL ||
		    strncmp(s, "))", 2) != 0)
			return -1;
		s += 2;
		resume = 1;
	}
	if (order_limit(s, " ORDER BY person_id ASC, distinct_id ASC",
	    &limit) == -1)
		return -1;
	index_persons();
	limit = capped(em, limit);
	for (i = seek(resume ? from : lo, 1); i < by_uuid_n && limit > 0 &&
	    strcmp(by_uuid[i]->uuid, hi) <= 0; i++)
		if (by_uuid[i]->alive)
			id_rows(by_uuid[i], resume && strcmp(by_uuid[i]->uuid,
			    from) == 0 ? from_id : NULL, b, &n, &limit,
			    &scanned);
	buf_printf(&r->log, ",\"table\":\"person_distinct_ids\",\"rows\":%zu,"
	    "\"scanned\":%zu", n, scanned);
	return 0;
}

int
persons_query(struct emu *em, struct MHD_Connection *c, struct req *r,
    const char *q, enum MHD_Result *ret)
{
	struct buf b = { 0 };
	int bad;

	if (strncmp(q, PERSONS_SELECT, strlen(PERSONS_SELECT)) != 0 &&
	    strncmp(q, IDS_SELECT, strlen(IDS_SELECT)) != 0)
		return 0;
	buf_addstr(&r->log, ",\"hogql\":");
	js_escape(&r->log, q, strlen(q));
	buf_addstr(&b, "{\"results\":[");
	pthread_mutex_lock(&ps.lock);
	state_init();
	bad = q[7] == 'i' ? persons_rows(em, q, &b, r) : ids_rows(em, q, &b, r);
	pthread_mutex_unlock(&ps.lock);
	if (bad) {
		buf_free(&b);
		*ret = reply_error(em, c, 400, "invalid_input",
		    "ph-emu answers only the queries ph-fetch sends");
		return 1;
	}
	/* hasMore is null for a query with its own LIMIT (source.c). */
	buf_addstr(&b, "],\"columns\":[],\"types\":[],\"hasMore\":null,"
	    "\"offset\":0,\"is_cached\":false}");
	pthread_mutex_lock(&em->lock);
	em->st.source_pages++;
	pthread_mutex_unlock(&em->lock);
	*ret = reply(c, 200, "application/json", b.p, b.len);
	buf_free(&b);
	return 1;
}
