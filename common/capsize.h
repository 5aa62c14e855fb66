/*
 * The size of the Kafka message PostHog's Rust capture makes of one
 * event, which must stay under the broker's message.max.bytes
 * (1,000,000 by default, rust/capture/src/config.rs) or capture answers
 * 413.  Capture parses the event into its RawEvent, serialises it again
 * and embeds that text as an escaped JSON string, "data", in the
 * CapturedEvent it produces ("we serialise twice": rust/capture/src/
 * v0_endpoint.rs process_single_event, rust/common/types/src/event.rs
 * CapturedEvent, rust/capture/src/sinks/kafka.rs).  Quotes and
 * backslashes therefore count twice or more: a size on the input line
 * alone both refuses events capture takes and lets through events it
 * refuses.  Shared by ph-send's local check and ph-emu's capture.
 */
#ifndef PH_CAPSIZE_H
#define PH_CAPSIZE_H

#include <stddef.h>

#include "jscan.h"

#define CAPTURE_KAFKA_MAX	1000000	/* message.max.bytes, config.rs */

/*
 * Bytes of the Kafka message (payload and key) for an event, parsed by
 * js_parse_object into its members and those of its "properties", sent
 * with a token of token_len plain characters.  librdkafka's few bytes of
 * record framing and the newest versions' headers are not counted.
 */
size_t	capture_message_size(const struct jmembers *top,
	    const struct jmembers *props, size_t token_len);

#endif
