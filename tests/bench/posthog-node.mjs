// Send an NDJSON file of capture-ready events with posthog-node, PostHog's
// own Node client, for the ph-send benchmark:
//   node posthog-node.mjs HOST FILE
// Tuned to its best for a migration: batches of 1000, historicalMigration,
// a queue large enough that it drops nothing (its default of 1000 drops
// the oldest events when capture outruns flushing).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PostHog } from 'posthog-node';

const [host, file] = process.argv.slice(2);
const client = new PostHog(process.env.PH_SEND_KEY, {
  host,
  flushAt: 1000,
  maxBatchSize: 1000,
  maxQueueSize: 10000000,
  flushInterval: 1000,
  historicalMigration: true,
  requestTimeout: 60000,
});
const lines = createInterface({ input: createReadStream(file) });
for await (const line of lines) {
  if (!line.trim()) continue;
  const e = JSON.parse(line);
  client.capture({
    distinctId: String(e.distinct_id),
    event: e.event,
    properties: e.properties,
    timestamp: new Date(e.timestamp),
    uuid: e.uuid,
  });
}
await client.shutdown();
