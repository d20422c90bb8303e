// Deleting records with everything hung on them: what retention and a Twilio-style DELETE share.
import { sql, type SQL } from "drizzle-orm";

/** Events about these sources (`<id>:<version>` for a message's, `inbound:<id>`, `batch:<id>`), by the unique source index. */
export const eventsOf = (idsJson: string, prefix: string) =>
  sql`SELECT e.id FROM json_each(${idsJson}) AS j CROSS JOIN events e
    ON e.source >= ${prefix} || j.value || ':' AND e.source < ${prefix} || j.value || ';'
    UNION ALL SELECT e.id FROM json_each(${idsJson}) AS j CROSS JOIN events e ON e.source = ${prefix} || j.value`;

/** Deletes events and their webhook deliveries and tries. */
export function deleteEvents(eventIds: SQL) {
  return [
    sql`DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT d.id FROM webhook_deliveries d WHERE d.event_id IN (${eventIds}))`,
    sql`DELETE FROM webhook_deliveries WHERE event_id IN (${eventIds})`,
    sql`DELETE FROM events WHERE id IN (${eventIds})`,
  ];
}

/** Deletes messages (a JSON array of ids) with everything hung on them: events, deliveries, parts, receipts. */
export function messageDeletion(messageIds: string): SQL[] {
  const ids = sql`SELECT value FROM json_each(${messageIds})`;
  return [
    ...deleteEvents(eventsOf(messageIds, "")),
    sql`DELETE FROM message_events WHERE message_id IN (${ids})`,
    sql`DELETE FROM message_parts WHERE message_id IN (${ids})`,
    sql`DELETE FROM carrier_receipts WHERE message_id IN (${ids})`,
    sql`DELETE FROM messages WHERE id IN (${ids})`,
  ];
}

