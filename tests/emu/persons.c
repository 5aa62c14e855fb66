/*
 * ph-emu: the destination's persons and groups.  With --persons, every
 * event capture accepts goes through person and group processing as
 * PostHog's ingestion does it, one event at a time in arrival order
 * (ingestion order, never timestamp order), and GET /_emu/persons and
 * /_emu/groups show the result.
 *
 * Sources copied, PostHog/posthog (cited per rule below):
 *   P24  plugin-server/src/worker/ingestion/person-state.ts (2024)
 *   P26  nodejs/src/worker/ingestion/persons/person-merge-service.ts,
 *        person-update.ts, person-property-utils.ts (2025-26)
 *   EV   nodejs/src/utils/event.ts: sanitizeEvent, normalizeEvent,
 *        normalizeProcessPerson (2025-26; plugin-server/src/utils/event.ts
 *        before)
 *   DBU  nodejs/src/utils/db/utils.ts: personInitialAndUTMProperties
 *   GTM  plugin-server/src/worker/ingestion/group-type-manager.ts
 *   GRP  plugin-server/src/worker/ingestion/process-event.ts (upsertGroup,
 *        updateGroupsAndFirstEvent), properties-updater.ts /
 *        groups/group-update.ts (calculateUpdate), groups.ts
 *        (addGroupProperties)
 *   NPP  normalize-process-person-flag step and its 2024 predecessor in
 *        event-pipeline/runner.ts ($process_person_profile: false)
 *
 *   P21  plugin-server/src/worker/ingestion/process-event.ts (2021-22:
 *        handleIdentifyOrAlias, aliasDeprecated, mergePeople)
 *
 * --profile picks the version; where versions differ the rule says so.
 * 2026 is the default.  2024 lacks 2026's filtered person updates, the
 * group key limit and the newer person-property list, and applies $unset
 * after $set_once and $set.  postgres-2021 and clickhouse-2022 have no
 * $process_person_profile (it came in 2024: the property is an ordinary
 * one), and postgres-2021 keeps P21's identity rules: only $identify
 * refuses to merge an identified person, $create_alias merges anything and
 * identifies no one, there is no $merge_dangerously.  When between 2021
 * and 2024 P21's rules gave way to P24's is not settled here, so
 * clickhouse-2022 follows P24.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "isotime.h"
#include "jtree.h"
#include "persons.h"
#include "persons-int.h"
#include "uuid.h"
#include "xalloc.h"

#define MAX_DID_CHARS	200	/* rust capture truncates distinct_id */
#define MAX_GROUP_KEY	400	/* validateEventPropertiesStep (2025-26) */
#define MAX_WARNINGS	1000	/* kept for the dump; all are counted */

struct pstate ps = { .lock = PTHREAD_MUTEX_INITIALIZER };
static int enabled;

/*
 * Events capture stored, kept as text until something reads the persons
 * (state_init): capture stays cheap, and they are processed in the order
 * they came, with the time they came for an event without a timestamp.
 */
struct pending {
	size_t		 off, len;	/* in pend_text */
	int64_t		 now;
	enum version	 v;
};
static struct buf pend_text;
static struct pending *pend;
static size_t npend, cappend;

static void	 settle_pending(void);

/* One event during processing. */
struct ev {
	const char	*name;
	char		*did;
	json_object	*root;
	json_object	*props;		/* the event's properties, always set */
	const char	*uuid;		/* NULL when the event has none */
	int64_t		 ts;		/* its timestamp, or now */
	enum version	 v;
	int		 update_identified;	/* P24/P26's KLUDGE flag */
};

enum version
version_of(const struct emu *em)
{
	const char *p = em->c.profile;

	if (p == NULL || strcmp(p, "2026") == 0)
		return V2026;
	if (strcmp(p, "2024") == 0)
		return V2024;
	if (strcmp(p, "clickhouse-2022") == 0)
		return V2022;
	return V2021;
}

void
state_init(void)
{
	if (ps.by_did == NULL) {
		ps.by_did = json_object_new_object();
		ps.types = json_object_new_array();
		ps.groups = json_object_new_object();
		ps.warnings = json_object_new_array();
		ps.warn_counts = json_object_new_object();
		ps.defs = json_object_new_object();
	}
	settle_pending();
}

/*
 * Ingestion records a person property definition for every key an event
 * sets ($set, $set_once), and never removes one (property-defs, 2024-26).
 */
static void
define_in(json_object *defs, json_object *o)
{
	if (!jo_is_obj(o))
		return;
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (!jo_has(defs, k))
			json_object_object_add(defs, k, NULL);
	}
}

void
define_keys(json_object *o)
{
	define_in(ps.defs, o);
}

/* Group property definitions: every key a $group_set gave that type. */
void
define_group_keys(int i, json_object *o)
{
	if (i < 0 || i >= MAX_GROUP_TYPES)
		return;
	if (ps.gdefs[i] == NULL)
		ps.gdefs[i] = json_object_new_object();
	define_in(ps.gdefs[i], o);
}

/* --- small helpers ---------------------------------------------------- */

json_object *
jo_get(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

int
jo_has(json_object *o, const char *key)
{
	return o != NULL && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, key, NULL);
}

int
jo_is_obj(json_object *o)
{
	return o != NULL && json_object_is_type(o, json_type_object);
}

/* JavaScript truthiness, for the `if (x)` tests PostHog makes. */
int
truthy(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(o);
	case json_type_int:
		return json_object_get_int64(o) != 0;
	case json_type_double:
		return json_object_get_double(o) != 0;
	case json_type_string:
		return json_object_get_string_len(o) > 0;
	default:
		return 1;
	}
}

/* JavaScript's String(x) for the values events carry; caller frees. */
char *
js_string(json_object *o)
{
	if (o == NULL)
		return xstrdup("undefined");
	switch (json_object_get_type(o)) {
	case json_type_string:
		return xstrdup(json_object_get_string(o));
	case json_type_object:
		return xstrdup("[object Object]");
	default:
		return xstrdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
	}
}

/*
 * JSON.stringify of the number JSON.parse makes of text: the nearest
 * double, in its shortest digits, written as Number.prototype.toString
 * writes it (ECMA-262 Number::toString); not finite, it is null.
 */
static void
js_number_text(const char *text, char *out, size_t size)
{
	double d = strtod(text, NULL);
	char e[40], dig[24];
	int prec, k = 0, n;
	const char *s;

	if (!isfinite(d) || d == 0) {
		snprintf(out, size, "%s", isfinite(d) ? "0" : "null");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", prec - 1, d);
	for (s = e + (*e == '-'); *s != 'e'; s++)
		if (*s != '.')
			dig[k++] = *s;
	dig[k] = '\0';
	n = atoi(s + 1) + 1;	/* the value is 0.dig times 10^n */
	if (k <= n && n <= 21)
		snprintf(out, size, "%s%s%.*s", d < 0 ? "-" : "", dig, n - k,
		    "000000000000000000000");
	else if (0 < n && n <= 21)
		snprintf(out, size, "%s%.*s.%s", d < 0 ? "-" : "", n, dig,
		    dig + n);
	else if (-6 < n && n <= 0)
		snprintf(out, size, "%s0.%.*s%s", d < 0 ? "-" : "", -n,
		    "000000", dig);
	else
		snprintf(out, size, "%s%c%s%se%c%d", d < 0 ? "-" : "", dig[0],
		    k > 1 ? "." : "", dig + 1, n - 1 < 0 ? '-' : '+',
		    abs(n - 1));
}

/*
 * The event as ingestion holds it: parseJSON (plugin-server/src/utils/
 * json-parse.ts, nodejs/ since 2025: JSON.parse, as every version before
 * called it directly) makes every number a double, so
 * 123456789012345678901234567890 becomes 1.2345678901234568e+29 and 1.10
 * becomes 1.1, and the person's properties are written back with
 * JSON.stringify (generateKafkaPersonUpdateMessage in plugin-server/src/
 * utils/db/utils.ts, 2022-26; Postgres gets the same object).  Strings
 * keep their value and are written as JSON.stringify writes them, which
 * is json-c's way with slashes unescaped.
 */
static void
as_javascript(json_object *o)
{
	char num[64];
	size_t i;

	switch (json_object_get_type(o)) {
	case json_type_object:
		json_object_object_foreach(o, k, v) {
			(void)k;
			as_javascript(v);
		}
		break;
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			as_javascript(json_object_array_get_idx(o, i));
		break;
	case json_type_int:
	case json_type_double:
		if (jtree_text(o) != NULL) {
			js_number_text(jtree_text(o), num, sizeof(num));
			jtree_set_text(o, num);
		}
		break;
	case json_type_string:
		jtree_set_text(o, NULL);
		break;
	default:
		break;
	}
}

/* Characters as JavaScript counts them (UTF-16 code units). */
static size_t
js_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xC0) != 0x80)
			n += c >= 0xF0 ? 2 : 1;
	}
	return n;
}

/*
 * The distinct_id as ingestion sees it: rust capture's string form cut
 * to 200 characters (v0_request.rs), then sanitizeString (EV), which
 * turns NUL into U+FFFD.
 */
static char *
distinct_id_of(json_object *root, json_object *props)
{
	json_object *v = jo_get(root, "distinct_id");
	struct buf b = { 0 };
	size_t i, chars = 0, len;
	const char *s;
	char *str;

	if (v == NULL || json_object_is_type(v, json_type_null))
		v = jo_get(root, "$distinct_id");
	if (v == NULL || json_object_is_type(v, json_type_null))
		v = jo_get(props, "distinct_id");
	str = js_string(v);
	if (v != NULL && json_object_is_type(v, json_type_string)) {
		free(str);
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
	} else {
		s = str;
		len = strlen(str);
	}
	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 &&
		    ++chars > MAX_DID_CHARS)
			break;
		if (s[i] == '\0')
			buf_addstr(&b, "\xEF\xBF\xBD");
		else
			buf_addc(&b, s[i]);
	}
	if (s == str)
		free(str);
	if (b.p == NULL)
		return xstrdup("");
	return b.p;
}

static void
warn_ingestion(const struct ev *e, const char *type, const char *detail)
{
	json_object *w, *c;

	c = jo_get(ps.warn_counts, type);
	json_object_object_add(ps.warn_counts, type, json_object_new_int64(
	    (c != NULL ? json_object_get_int64(c) : 0) + 1));
	if (json_object_array_length(ps.warnings) >= MAX_WARNINGS)
		return;
	w = json_object_new_object();
	json_object_object_add(w, "type", json_object_new_string(type));
	json_object_object_add(w, "event", json_object_new_string(e->name));
	json_object_object_add(w, "distinct_id",
	    json_object_new_string(e->did));
	json_object_object_add(w, "detail", json_object_new_string(detail));
	if (e->uuid != NULL)
		json_object_object_add(w, "uuid",
		    json_object_new_string(e->uuid));
	json_object_array_add(ps.warnings, w);
}

/* --- persons: lookup and creation ------------------------------------- */

struct person *
person_of(const char *did)
{
	json_object *i = jo_get(ps.by_did, did);

	return i != NULL ? &ps.p[json_object_get_int64(i)] : NULL;
}

void
add_distinct_id(struct person *p, const char *did)
{
	json_object_array_add(p->dids, json_object_new_string(did));
	json_object_object_add(ps.by_did, did,
	    json_object_new_int64(p - ps.p));
}

void
copy_members(json_object *to, json_object *from)
{
	if (!jo_is_obj(from))
		return;
	json_object_object_foreach(from, k, v)
		json_object_object_add(to, k, json_object_get(v));
}

/*
 * createPerson (P24, P26 person-create-service.ts): properties are
 * {...$set_once, ...$set, $creator_event_uuid}; $unset is not read.
 */
struct person *
person_new(int64_t created)
{
	struct person *p;

	if (ps.n == ps.cap) {
		ps.cap = ps.cap ? ps.cap * 2 : 256;
		ps.p = xreallocarray(ps.p, ps.cap, sizeof(*ps.p));
	}
	p = &ps.p[ps.n++];
	memset(p, 0, sizeof(*p));
	p->alive = 1;
	p->id = (int64_t)ps.n;
	p->created = created;
	p->props = json_object_new_object();
	p->dids = json_object_new_array();
	return p;
}

/*
 * uuidFromDistinctId: a person's uuid derives from its first distinct_id
 * (person-uuid.ts).  Here a v5 uuid of "1:" and the id under ph's
 * namespace, not PostHog's: the form, not the value, is copied.
 */
void
person_uuid(struct person *p, const char *did)
{
	unsigned char ns[16], u[16];

	uuid_parse(PH_UUID_NAMESPACE, UUID_STRLEN, ns);
	uuid_v5(ns, "1:", did, strlen(did), u);
	uuid_format(u, p->uuid);
}

static struct person *
person_create(const struct ev *e, const char *did1, const char *did2,
    int identified)
{
	struct person *p = person_new(e->ts);

	p->identified = identified;
	person_uuid(p, did1);
	copy_members(p->props, jo_get(e->props, "$set_once"));
	copy_members(p->props, jo_get(e->props, "$set"));
	json_object_object_add(p->props, "$creator_event_uuid", e->uuid ?
	    json_object_new_string(e->uuid) : NULL);
	add_distinct_id(p, did1);
	if (did2 != NULL)
		add_distinct_id(p, did2);
	return p;
}

/* --- person properties ------------------------------------------------ */

/* P26 person-property-utils.ts FILTERED_PERSON_UPDATE_PROPERTIES. */
static const char *const filtered_props[] = {
	"$current_url", "$pathname", "$referring_domain", "$referrer",
	"$screen_height", "$screen_width", "$viewport_height",
	"$viewport_width", "$browser", "$browser_version", "$device_type",
	"$raw_user_agent", "$os", "$os_name", "$os_version",
	"$geoip_postal_code", "$geoip_time_zone", "$geoip_latitude",
	"$geoip_longitude", "$geoip_accuracy_radius",
	"$geoip_subdivision_1_code", "$geoip_subdivision_1_name",
	"$geoip_subdivision_2_code", "$geoip_subdivision_2_name",
	"$geoip_subdivision_3_code", "$geoip_subdivision_3_name",
	"$geoip_city_confidence", "$geoip_country_confidence",
	"$geoip_postal_code_confidence", "$geoip_subdivision_1_confidence",
	"$geoip_subdivision_2_confidence", NULL
};

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* P26 person-update.ts PERSON_EVENTS: never filtered. */
static int
is_person_event(const char *name)
{
	static const char *const l[] = { "$identify", "$create_alias",
	    "$merge_dangerously", "$set", NULL };

	return in_list(l, name);
}

/* JavaScript's !== on parsed JSON: objects and arrays always differ. */
static int
differs(json_object *old, json_object *v)
{
	if (old == NULL)
		return 1;
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return 1;
	return !json_object_equal(old, v);
}

/* $set_once: keys the person lacks; each one is written (P26 batch store). */
static int
set_once_updates(json_object *once, json_object *props, json_object *todo)
{
	int trigger = 0;

	if (!jo_is_obj(once))
		return 0;
	json_object_object_foreach(once, k, v) {
		if (!jo_has(props, k)) {
			json_object_object_add(todo, k, json_object_get(v));
			trigger = 1;
		}
	}
	return trigger;
}

/* $set: changed keys; a new or unfiltered one triggers the write. */
static int
set_updates(json_object *set, json_object *props, json_object *todo)
{
	int trigger = 0;

	if (!jo_is_obj(set))
		return 0;
	json_object_object_foreach(set, k, v) {
		if (differs(jo_get(props, k), v)) {
			if (!jo_has(props, k) || !in_list(filtered_props, k))
				trigger = 1;
			json_object_object_add(todo, k, json_object_get(v));
		}
	}
	return trigger;
}

/*
 * $unset: an array of string keys, or an object whose keys are used.
 * 2026 computes the keys to unset against the person as it was before the
 * event (computeEventPropertyUpdates), so a key the same event sets
 * ($set_once c, $unset c) stays; 2024 applied $set_once, $set and $unset
 * one after the other to the person (applyEventPropertyUpdates), so it
 * goes.
 */
static int
unset_one(json_object *props, json_object *todo, int sequential,
    const char *key)
{
	return jo_has(props, key) || (sequential && jo_has(todo, key));
}

static int
unset_updates(json_object *unset, json_object *props, json_object *todo,
    int sequential, json_object *gone)
{
	json_object *k;
	size_t i;
	int trigger = 0;

	if (json_object_is_type(unset, json_type_array)) {
		for (i = 0; i < json_object_array_length(unset); i++) {
			k = json_object_array_get_idx(unset, i);
			if (json_object_is_type(k, json_type_string) &&
			    unset_one(props, todo, sequential,
			    json_object_get_string(k))) {
				json_object_array_add(gone, json_object_get(k));
				trigger = 1;
			}
		}
		return trigger;
	}
	if (!jo_is_obj(unset))
		return 0;
	json_object_object_foreach(unset, key, v) {
		(void)v;
		if (unset_one(props, todo, sequential, key)) {
			json_object_array_add(gone,
			    json_object_new_string(key));
			trigger = 1;
		}
	}
	return trigger;
}

/*
 * computeEventPropertyUpdates, then applyEventPropertyUpdates (P26
 * person-update.ts; P24 applyEventPropertyUpdates does the same without
 * the filter): $set_once for keys the person lacks, then $set, then
 * $unset (an array of keys, or an object whose keys are used).
 *
 * 2026 only: an update to a person that already exists is not written
 * when the event is not a PERSON_EVENT and every change is to an existing
 * FILTERED_PERSON_UPDATE_PROPERTIES key ($browser, $current_url, ...): the
 * batch store's getPersonUpdateOutcome answers "ignored".  PostHog decides
 * that per Kafka batch; here a batch is one event.  $exception and
 * $$heatmap (NO_PERSON_UPDATE_EVENTS) never update a person.
 */
static int
property_updates(const struct ev *e, json_object *props, int filter)
{
	json_object *set = jo_get(e->props, "$set");
	json_object *once = jo_get(e->props, "$set_once");
	json_object *unset = jo_get(e->props, "$unset");
	json_object *todo = json_object_new_object();
	json_object *gone = json_object_new_array();
	int trigger = !filter || e->v < V2026 || is_person_event(e->name);
	size_t i;

	if (e->v >= V2026 && (strcmp(e->name, "$exception") == 0 ||
	    strcmp(e->name, "$$heatmap") == 0))
		trigger = 0, filter = 1;
	else {
		trigger |= set_once_updates(once, props, todo);
		trigger |= set_updates(set, props, todo);
		trigger |= unset_updates(unset, props, todo, e->v < V2026,
		    gone);
	}
	if (trigger || !filter) {
		copy_members(props, todo);
		for (i = 0; i < json_object_array_length(gone); i++)
			json_object_object_del(props, json_object_get_string(
			    json_object_array_get_idx(gone, i)));
	}
	json_object_put(todo);
	json_object_put(gone);
	return trigger;
}

/* updatePersonProperties (P24) / the person event processor (P26). */
static void
person_update(const struct ev *e, struct person *p)
{
	property_updates(e, p->props, 1);
	if (e->update_identified)
		p->identified = 1;
}

/* --- identity: merge ------------------------------------------------- */

/* P24/P26 isDistinctIdIllegal, with the quoted forms of each id. */
static int
illegal_id(const char *id)
{
	static const char *const ci[] = { "anonymous", "guest", "distinctid",
	    "distinct_id", "id", "not_authenticated", "email", "undefined",
	    "true", "false", NULL };
	static const char *const cs[] = { "[object Object]", "NaN", "None",
	    "none", "null", "0", "undefined", NULL };
	const char *s = id, *end = id + strlen(id);
	char buf[64];
	size_t n, i;
	int quoted;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	if (*s == '\0')
		return 1;	/* trimmed === '' */
	n = strlen(id);
	quoted = n >= 2 && ((id[0] == '"' && end[-1] == '"') ||
	    (id[0] == '\'' && end[-1] == '\''));
	if (in_list(cs, id) || (quoted && n - 2 < sizeof(buf) &&
	    (memcpy(buf, id + 1, n - 2), buf[n - 2] = '\0',
	    in_list(cs, buf))))
		return 1;
	if (n >= sizeof(buf))
		return 0;
	for (i = 0; i < n; i++)
		buf[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ?
		    id[i] - 'A' + 'a' : id[i]);
	buf[n] = '\0';
	if (in_list(ci, buf))
		return 1;
	if (quoted) {
		buf[n - 1] = '\0';
		return in_list(ci, buf + 1);
	}
	return 0;
}

/*
 * mergePeople (P24, P26): $identify and $create_alias refuse to merge a
 * person that is already identified (cannot_merge_already_identified) and
 * return the target; $merge_dangerously merges anyway.  On a merge the
 * target's properties win over the other's, then the event's updates
 * apply; the other person's distinct_ids move to the target, which is
 * identified, and the other person is deleted.
 *
 * 2021 (plugin-server process-event.ts, aliasDeprecated): only $identify
 * refuses ("$create_alias is an explicit call to merge 2 users, so we'll
 * merge anything"), and the merged person is identified when either was.
 */
static struct person *
merge_people(const struct ev *e, struct person *into, struct person *other)
{
	json_object *merged;
	size_t i;
	int refuse = e->v == V2021 ? strcmp(e->name, "$identify") == 0 :
	    strcmp(e->name, "$merge_dangerously") != 0;

	if (refuse && other->identified) {
		warn_ingestion(e, "cannot_merge_already_identified",
		    "refused to merge an already identified user via an "
		    "$identify or $create_alias call");
		return into;
	}
	merged = json_object_new_object();
	copy_members(merged, other->props);
	copy_members(merged, into->props);
	property_updates(e, merged, 0);
	json_object_put(into->props);
	into->props = merged;
	into->identified = e->v == V2021 ? into->identified || other->identified :
	    1;
	if (other->created < into->created)
		into->created = other->created;
	for (i = 0; i < json_object_array_length(other->dids); i++)
		add_distinct_id(into, json_object_get_string(
		    json_object_array_get_idx(other->dids, i)));
	json_object_put(other->props);
	json_object_put(other->dids);
	other->props = other->dids = NULL;
	other->alive = 0;
	return into;
}

/*
 * merge and mergeDistinctIds (P24, P26): the same id twice or an illegal
 * id does nothing (the second with cannot_merge_with_illegal_distinct_id);
 * otherwise the event's person is identified, and: neither id has a
 * person, one is created with both; one has, it gains the other id; both
 * have, they merge.  Returns the person the event's updates go to, or
 * NULL to go the ordinary way.
 *
 * 2021 (aliasDeprecated): only the event's distinct_id is checked against
 * the illegal ids, and only $identify identifies the person.
 */
static struct person *
merge(struct ev *e, const char *other_id, const char *into_id)
{
	struct person *other, *into;

	if (strcmp(other_id, into_id) == 0)
		return NULL;
	if (illegal_id(into_id) || (e->v > V2021 && illegal_id(other_id))) {
		warn_ingestion(e, "cannot_merge_with_illegal_distinct_id",
		    illegal_id(into_id) ? into_id : other_id);
		return NULL;
	}
	e->update_identified = e->v > V2021 ||
	    strcmp(e->name, "$identify") == 0;
	other = person_of(other_id);
	into = person_of(into_id);
	if (other != NULL && into == NULL) {
		add_distinct_id(other, into_id);
		return other;
	}
	if (other == NULL && into != NULL) {
		add_distinct_id(into, other_id);
		return into;
	}
	if (other != NULL && into != NULL)
		return other == into ? into : merge_people(e, into, other);
	return person_create(e, into_id, other_id, e->update_identified);
}

/*
 * handleIdentifyOrAlias (P24, P26): $create_alias and $merge_dangerously
 * merge properties.alias (when truthy) into the event's distinct_id;
 * $identify merges properties.$anon_distinct_id (when present at all).
 * 2021: no $merge_dangerously, and $anon_distinct_id must be truthy.
 */
static struct person *
identify_or_alias(struct ev *e)
{
	json_object *other = NULL;
	struct person *p = NULL;
	char *id;

	if ((strcmp(e->name, "$create_alias") == 0 ||
	    (e->v > V2021 && strcmp(e->name, "$merge_dangerously") == 0)) &&
	    truthy(jo_get(e->props, "alias")))
		other = jo_get(e->props, "alias");
	else if (strcmp(e->name, "$identify") == 0 &&
	    jo_has(e->props, "$anon_distinct_id") && (e->v > V2021 ||
	    truthy(jo_get(e->props, "$anon_distinct_id"))))
		other = jo_get(e->props, "$anon_distinct_id");
	else
		return NULL;
	id = js_string(other);
	p = merge(e, id, e->did);
	free(id);
	return p;
}

/*
 * The person step: a merge's person, or the distinct_id's person, gets
 * the event's updates; with neither, a person is created from $set_once
 * and $set (createOrGetPerson: "propertiesHandled", no update after).
 */
static void
process_person(struct ev *e)
{
	struct person *p;

	if ((p = identify_or_alias(e)) == NULL &&
	    (p = person_of(e->did)) == NULL) {
		person_create(e, e->did, NULL, e->update_identified);
		return;
	}
	person_update(e, p);
}

/* --- groups ---------------------------------------------------------- */

const char *
group_type_name(int i)
{
	json_object *n;

	if (i < 0 || (size_t)i >= json_object_array_length(ps.types) ||
	    (n = json_object_array_get_idx(ps.types, (size_t)i)) == NULL)
		return NULL;
	return json_object_get_string(n);
}

int
group_type_set(const char *name, int i)
{
	if (i < 0 || i >= MAX_GROUP_TYPES || group_type_name(i) != NULL)
		return -1;
	json_object_array_put_idx(ps.types, (size_t)i,
	    json_object_new_string(name));
	return 0;
}

/*
 * fetchGroupTypeIndex and insertGroupType (GTM): a known type's index;
 * else it is registered at the number of types known, or the next free
 * index after it (ON CONFLICT DO NOTHING, then index + 1); none past 5.
 */
static int
group_type_index(const char *type)
{
	size_t n = json_object_array_length(ps.types), known = 0;
	const char *name;
	int i;

	for (i = 0; (size_t)i < n; i++)
		if ((name = group_type_name(i)) != NULL) {
			if (strcmp(name, type) == 0)
				return i;
			known++;
		}
	for (i = (int)known; group_type_name(i) != NULL; i++)
		;
	return group_type_set(type, i) == 0 ? i : -1;
}

static int
type_index_of(json_object *v)
{
	char *s = js_string(v);
	int i = group_type_index(s);

	free(s);
	return i;
}

/*
 * upsertGroup (GRP): needs a truthy $group_type and $group_key; the key
 * is String(key); $group_set's members are assigned over the group's
 * properties (calculateUpdate: "based on ingestion time").  There is no
 * $group_set_once or $group_unset: a group property cannot be removed.
 */
static void
upsert_group(struct ev *e)
{
	json_object *type = jo_get(e->props, "$group_type");
	json_object *key = jo_get(e->props, "$group_key"), *g, *gp;
	char *k;
	int idx;

	if (!truthy(type) || !truthy(key) || (idx = type_index_of(type)) < 0)
		return;
	k = js_string(key);
	g = group_get(idx, k, e->ts);
	gp = jo_get(g, "group_properties");
	copy_members(gp, jo_get(e->props, "$group_set"));
	define_group_keys(idx, jo_get(e->props, "$group_set"));
	free(k);
}

/* created_at: the earliest of the group's events (properties-updater.ts). */
json_object *
group_get(int idx, const char *key, int64_t created)
{
	json_object *g, *c;
	struct buf id = { 0 };

	buf_printf(&id, "%d:%s", idx, key);
	if ((g = jo_get(ps.groups, id.p)) == NULL) {
		g = json_object_new_object();
		json_object_object_add(g, "group_type_index",
		    json_object_new_int(idx));
		json_object_object_add(g, "group_key",
		    json_object_new_string(key));
		json_object_object_add(g, "group_properties",
		    json_object_new_object());
		json_object_object_add(g, "created_at",
		    json_object_new_int64(created));
		json_object_object_add(ps.groups, id.p, g);
	}
	c = jo_get(g, "created_at");
	if (created < json_object_get_int64(c))
		json_object_set_int64(c, created);
	buf_free(&id);
	return g;
}

/*
 * Group types in first-seen order (GRP): a $groupidentify with a type and
 * a $group_set registers its type first (updateGroupsAndFirstEvent), then
 * every key of an object $groups, in order (addGroupProperties), then the
 * $groupidentify upserts its group.
 */
static void
process_groups(struct ev *e)
{
	json_object *groups = jo_get(e->props, "$groups");
	int gi = strcmp(e->name, "$groupidentify") == 0;

	if (gi && jo_get(e->props, "$group_type") != NULL &&
	    !json_object_is_type(jo_get(e->props, "$group_type"),
	    json_type_null) && jo_get(e->props, "$group_set") != NULL &&
	    !json_object_is_type(jo_get(e->props, "$group_set"), json_type_null))
		type_index_of(jo_get(e->props, "$group_type"));
	if (jo_is_obj(groups)) {
		json_object_object_foreach(groups, k, v) {
			(void)v;
			group_type_index(k);
		}
	}
	if (gi)
		upsert_group(e);
}

/* --- one event ------------------------------------------------------- */

/*
 * sanitizeEvent (EV): top-level $set and $set_once merge into
 * properties.$set and .$set_once, the top level winning.  A top-level
 * $unset is not read ("we only *read* $unset out of `properties`").
 */
static void
lift_top_level(struct ev *e, const char *key)
{
	json_object *top = jo_get(e->root, key), *in;

	if (!truthy(top) || !jo_is_obj(top))
		return;
	in = jo_get(e->props, key);
	if (!jo_is_obj(in)) {
		in = json_object_new_object();
		json_object_object_add(e->props, key, in);
	}
	copy_members(in, top);
}

/*
 * normalizeEvent's personInitialAndUTMProperties (DBU): each of these
 * event properties is $set (unless $set has it) and $set_once as
 * $initial_<name without $>, except on $snapshot and $performance_event.
 * The 2026 list; 2024's lacked the screen, viewport, $raw_user_agent and
 * $os_name entries and the last campaign ids.
 */
static const char *const to_person_26[] = {
	"$app_build", "$app_name", "$app_namespace", "$app_version",
	"$browser", "$browser_version", "$device_type", "$current_url",
	"$pathname", "$os", "$os_name", "$os_version", "$referring_domain",
	"$referrer", "$screen_height", "$screen_width", "$viewport_height",
	"$viewport_width", "$raw_user_agent",
	"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_name",
	"utm_term", "gclid", "gad_source", "gclsrc", "dclid", "gbraid",
	"wbraid", "fbclid", "msclkid", "twclid", "li_fat_id", "mc_cid",
	"igshid", "ttclid", "rdt_cid", "irclid", "_kx", "epik", "qclid",
	"sccid", NULL
};
static const char *const to_person_24[] = {
	"$app_build", "$app_name", "$app_namespace", "$app_version",
	"$browser", "$browser_version", "$device_type", "$current_url",
	"$pathname", "$os", "$os_version", "$referring_domain", "$referrer",
	"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_name",
	"utm_term", "gclid", "gad_source", "gclsrc", "dclid", "gbraid",
	"wbraid", "fbclid", "msclkid", "twclid", "li_fat_id", "mc_cid",
	"igshid", "ttclid", "rdt_cid", NULL
};

static json_object *
object_member(json_object *props, const char *key)
{
	json_object *o = jo_get(props, key);

	if (!jo_is_obj(o)) {
		o = json_object_new_object();
		json_object_object_add(props, key, o);
	}
	return o;
}

static void
initial_and_utm(struct ev *e)
{
	const char *const *l = e->v >= V2026 ? to_person_26 : to_person_24;
	json_object *set, *once, *v;
	char initial[64];

	if (strcmp(e->name, "$snapshot") == 0 ||
	    strcmp(e->name, "$performance_event") == 0)
		return;
	for (; *l != NULL; l++) {
		if ((v = jo_get(e->props, *l)) == NULL && !jo_has(e->props, *l))
			continue;
		set = object_member(e->props, "$set");
		once = object_member(e->props, "$set_once");
		snprintf(initial, sizeof(initial), "$initial_%s",
		    **l == '$' ? *l + 1 : *l);
		if (!jo_has(set, *l))
			json_object_object_add(set, *l, json_object_get(v));
		if (!jo_has(once, initial))
			json_object_object_add(once, initial,
			    json_object_get(v));
	}
	/* $os_name stands in for $os (2026, "starting August 2024"). */
	if (e->v >= V2026 && jo_has(e->props, "$os_name")) {
		v = jo_get(e->props, "$os_name");
		set = object_member(e->props, "$set");
		once = object_member(e->props, "$set_once");
		if (!jo_has(set, "$os"))
			json_object_object_add(set, "$os", json_object_get(v));
		if (!jo_has(once, "$initial_os"))
			json_object_object_add(once, "$initial_os",
			    json_object_get(v));
		json_object_object_del(set, "$os_name");
		json_object_object_del(once, "$initial_os_name");
	}
}

/*
 * sanitizeJsonbValue (DBU): the properties Postgres stores have each
 * \u0000, which jsonb refuses, turned into \uFFFD: a person's
 * (persons/repositories/postgres-person-repository.ts, 2025-26, and
 * person-state.ts's tests, 2024) and a group's (groups/repositories/
 * postgres-group-repository.ts, 2025-26; taken for 2024 too).
 * ClickHouse's copy, written from the unsanitised object, keeps it; the
 * emulator has one copy.  2021-22 are not modelled: Postgres refused the
 * update there.
 */
static void
jsonb_safe(json_object *o)
{
	struct buf b = { 0 };
	const char *s;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object:
		json_object_object_foreach(o, k, v) {
			(void)k;
			jsonb_safe(v);
		}
		break;
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			jsonb_safe(json_object_array_get_idx(o, i));
		break;
	case json_type_string:
		s = json_object_get_string(o);
		n = (size_t)json_object_get_string_len(o);
		if (memchr(s, '\0', n) == NULL)
			break;
		for (i = 0; i < n; i++)
			if (s[i] == '\0')
				buf_addstr(&b, "\xEF\xBF\xBD");
			else
				buf_addc(&b, s[i]);
		json_object_set_string_len(o, b.p, (int)b.len);
		buf_free(&b);
		break;
	default:
		break;
	}
}

static int
is_identity_event(const char *name)
{
	static const char *const l[] = { "$identify", "$create_alias",
	    "$merge_dangerously", "$groupidentify", NULL };

	return in_list(l, name);
}

/*
 * One event, in the pipeline's order: the group key check (2026), the
 * $process_person_profile decision (NPP: only a boolean false counts; on
 * an identity event the event is dropped, on any other there is no
 * person processing at all, no person created, no group type
 * registered), $groupidentify's person keys removed (EV
 * normalizeProcessPerson), normalizeEvent, persons, groups.
 */
static void
ingest_one(struct ev *e)
{
	json_object *key = jo_get(e->props, "$group_key");
	json_object *ppp = jo_get(e->props, "$process_person_profile");
	char *k;
	int gi = strcmp(e->name, "$groupidentify") == 0, drop = 0;

	if (e->v >= V2026 && gi && truthy(key)) {
		k = js_string(key);
		if ((drop = js_length(k) > MAX_GROUP_KEY))
			warn_ingestion(e, "group_key_too_long", k);
		free(k);
		if (drop) {
			ps.dropped++;
			return;
		}
	}
	lift_top_level(e, "$set");
	lift_top_level(e, "$set_once");
	if (e->v >= V2024 && json_object_is_type(ppp, json_type_boolean) &&
	    !json_object_get_boolean(ppp)) {
		if (is_identity_event(e->name)) {
			warn_ingestion(e,
			    "invalid_event_when_process_person_profile_is_false",
			    e->name);
			ps.dropped++;
		} else
			ps.personless++;
		return;
	}
	if (gi) {
		json_object_object_del(e->props, "$set");
		json_object_object_del(e->props, "$set_once");
		json_object_object_del(e->props, "$unset");
	}
	initial_and_utm(e);
	if (e->v >= V2024) {
		jsonb_safe(jo_get(e->props, "$set"));
		jsonb_safe(jo_get(e->props, "$set_once"));
		jsonb_safe(jo_get(e->props, "$group_set"));
	}
	process_person(e);
	define_keys(jo_get(e->props, "$set"));
	define_keys(jo_get(e->props, "$set_once"));
	process_groups(e);
}

static int64_t
timestamp_of(json_object *root, int64_t now)
{
	json_object *t = jo_get(root, "timestamp");
	int64_t us;

	if (!json_object_is_type(t, json_type_string) ||
	    isotime_parse(json_object_get_string(t),
	    (size_t)json_object_get_string_len(t), &us) == -1)
		return now;
	return us;
}

void
persons_enable(void)
{
	enabled = 1;
}

void
persons_ingest(struct emu *em, const struct jitem *it, size_t n)
{
	struct pending *q;
	size_t k;

	if (!enabled)
		return;
	pthread_mutex_lock(&ps.lock);
	for (k = 0; k < n; k++) {
		if (npend == cappend)
			pend = xreallocarray(pend, cappend = cappend ?
			    cappend * 2 : 1024, sizeof(*pend));
		q = &pend[npend++];
		q->off = pend_text.len;
		q->len = it[k].len;
		q->now = isotime_now();
		q->v = version_of(em);
		buf_add(&pend_text, it[k].p, it[k].len);
	}
	pthread_mutex_unlock(&ps.lock);
}

/* What capture kept, processed in the order it came; ps.lock held. */
static void
settle_pending(void)
{
	struct jerr err;
	struct ev e;
	size_t k;

	if (npend == 0)
		return;
	for (k = 0; k < npend; k++) {
		memset(&e, 0, sizeof(e));
		e.root = jtree_parse(pend_text.p + pend[k].off, pend[k].len,
		    &err);
		as_javascript(e.root);
		if (!jo_is_obj(e.root) || !json_object_is_type(jo_get(e.root, "event"),
		    json_type_string)) {
			json_object_put(e.root);
			continue;
		}
		e.v = pend[k].v;
		e.name = json_object_get_string(jo_get(e.root, "event"));
		e.props = object_member(e.root, "properties");
		if (json_object_is_type(jo_get(e.root, "uuid"), json_type_string))
			e.uuid = json_object_get_string(jo_get(e.root, "uuid"));
		e.did = distinct_id_of(e.root, e.props);
		e.ts = timestamp_of(e.root, pend[k].now);
		ps.events++;
		ingest_one(&e);
		free(e.did);
		json_object_put(e.root);
	}
	npend = 0;
	pend_text.len = 0;
}

/* --- the dump ---------------------------------------------------------- */

static int
by_string(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(json_object *const *)a),
	    json_object_get_string(*(json_object *const *)b));
}

static int
by_first_did(const void *a, const void *b)
{
	json_object *x = jo_get(*(json_object *const *)a, "distinct_ids");
	json_object *y = jo_get(*(json_object *const *)b, "distinct_ids");

	return strcmp(json_object_get_string(json_object_array_get_idx(x, 0)),
	    json_object_get_string(json_object_array_get_idx(y, 0)));
}

static json_object *
sorted_copy(json_object *arr, int (*cmp)(const void *, const void *))
{
	json_object *out = json_object_new_array();
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++)
		json_object_array_add(out,
		    json_object_get(json_object_array_get_idx(arr, i)));
	json_object_array_sort(out, cmp);
	return out;
}

static json_object *
dump_persons(void)
{
	json_object *out = json_object_new_object(), *list, *sorted, *o;
	size_t i;

	list = json_object_new_array();
	for (i = 0; i < ps.n; i++) {
		if (!ps.p[i].alive)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "distinct_ids",
		    sorted_copy(ps.p[i].dids, by_string));
		json_object_object_add(o, "properties",
		    json_object_get(ps.p[i].props));
		json_object_object_add(o, "is_identified",
		    json_object_new_boolean(ps.p[i].identified));
		json_object_array_add(list, o);
	}
	sorted = sorted_copy(list, by_first_did);
	json_object_put(list);
	json_object_object_add(out, "count", json_object_new_int64(
	    (int64_t)json_object_array_length(sorted)));
	json_object_object_add(out, "persons", sorted);
	json_object_object_add(out, "events", json_object_new_int64(
	    (int64_t)ps.events));
	json_object_object_add(out, "dropped", json_object_new_int64(
	    (int64_t)ps.dropped));
	json_object_object_add(out, "personless", json_object_new_int64(
	    (int64_t)ps.personless));
	json_object_object_add(out, "warning_counts",
	    json_object_get(ps.warn_counts));
	json_object_object_add(out, "warnings", json_object_get(ps.warnings));
	return out;
}

static int
by_index_then_key(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	int i = json_object_get_int(jo_get(x, "group_type_index"));
	int j = json_object_get_int(jo_get(y, "group_type_index"));

	if (i != j)
		return i < j ? -1 : 1;
	return strcmp(json_object_get_string(jo_get(x, "group_key")),
	    json_object_get_string(jo_get(y, "group_key")));
}

static json_object *
dump_groups(void)
{
	json_object *out = json_object_new_object(), *types, *list, *sorted;
	json_object *o, *name;
	size_t i;

	types = json_object_new_array();
	for (i = 0; i < json_object_array_length(ps.types); i++) {
		if (group_type_name((int)i) == NULL)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "group_type", json_object_get(
		    json_object_array_get_idx(ps.types, i)));
		json_object_object_add(o, "group_type_index",
		    json_object_new_int((int)i));
		json_object_array_add(types, o);
	}
	list = json_object_new_array();
	json_object_object_foreach(ps.groups, k, g) {
		(void)k;
		o = json_object_new_object();
		name = json_object_array_get_idx(ps.types,
		    (size_t)json_object_get_int(jo_get(g, "group_type_index")));
		json_object_object_add(o, "group_type", json_object_get(name));
		json_object_object_add(o, "group_type_index", json_object_get(
		    jo_get(g, "group_type_index")));
		json_object_object_add(o, "group_key",
		    json_object_get(jo_get(g, "group_key")));
		json_object_object_add(o, "group_properties",
		    json_object_get(jo_get(g, "group_properties")));
		json_object_array_add(list, o);
	}
	sorted = sorted_copy(list, by_index_then_key);
	json_object_put(list);
	json_object_object_add(out, "group_types", types);
	json_object_object_add(out, "count", json_object_new_int64(
	    (int64_t)json_object_array_length(sorted)));
	json_object_object_add(out, "groups", sorted);
	return out;
}

int
persons_dump(struct emu *em, struct MHD_Connection *c, const char *url,
    enum MHD_Result *ret)
{
	json_object *o;
	const char *s;
	size_t len;

	(void)em;
	if (strcmp(url, "/_emu/persons") != 0 &&
	    strcmp(url, "/_emu/groups") != 0)
		return 0;
	pthread_mutex_lock(&ps.lock);
	state_init();
	o = strcmp(url, "/_emu/persons") == 0 ? dump_persons() : dump_groups();
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	*ret = reply(c, 200, "application/json", s, len);
	json_object_put(o);
	pthread_mutex_unlock(&ps.lock);
	return 1;
}
