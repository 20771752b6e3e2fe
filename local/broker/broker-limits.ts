/**
 * AWS IoT Core message broker limits, enforced locally so that what works here does not break on
 * AWS. Numbers from "AWS IoT Core endpoints and quotas", message broker and protocol limits
 * (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits); the same
 * values are what aws-crt's `AwsIotCoreDefaults` client-side validation assumes.
 */

/** "Client ID size: 128 bytes of UTF-8 encoded characters." */
export const MAX_CLIENT_ID_BYTES = 128;

/** "Message size: the payload for every publish request can be no larger than 128 KB." */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/** "Topic size: the topic passed to the message broker ... cannot exceed 256 bytes of UTF-8." */
export const MAX_TOPIC_BYTES = 256;

/**
 * "Maximum number of slashes in topic and topic filter: 7" (so 8 levels). The Basic Ingest prefix
 * `$aws/rules/<rule-name>/` does not count.
 */
export const MAX_TOPIC_SLASHES = 7;

/** "Maximum subscriptions per subscribe request: 8". */
export const MAX_SUBSCRIPTIONS_PER_SUBSCRIBE = 8;

/** "Subscriptions per connection: 50" (default quota). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;

/**
 * Keep-alive: AWS IoT accepts 30–1200 seconds; a shorter request is raised to 30, a longer one
 * lowered to 1200, and 0 keeps the default idle timeout (taken here as 1200). The broker then
 * disconnects after 1.5 × keep-alive without traffic, as AWS does.
 */
export const MIN_KEEPALIVE_SECONDS = 30;
export const MAX_KEEPALIVE_SECONDS = 1200;

/** The keep-alive AWS IoT applies for a requested value. */
export function effectiveKeepalive(requested: number): number {
  if (!requested) return MAX_KEEPALIVE_SECONDS;
  return Math.min(MAX_KEEPALIVE_SECONDS, Math.max(MIN_KEEPALIVE_SECONDS, requested));
}

/** AWS IoT supports QoS 0 and 1 only ("AWS IoT differences from MQTT version 3.1.1", mqtt.md). */
export const MAX_QOS = 1;

/** Counts slashes, excluding a leading Basic Ingest prefix `$aws/rules/<rule>/`. */
export function topicSlashes(topic: string): number {
  const ingest = /^\$aws\/rules\/[^/]+\//.exec(topic);
  const rest = ingest ? topic.slice(ingest[0].length) : topic;
  let n = 0;
  for (let i = 0; i < rest.length; i++) if (rest.charCodeAt(i) === 47) n++;
  return n;
}

/** Why a topic or filter breaks the AWS limits, or undefined when it does not. */
export function topicLimitViolation(topic: string): string | undefined {
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > MAX_TOPIC_BYTES) return `topic is ${bytes} bytes, AWS IoT allows ${MAX_TOPIC_BYTES}`;
  const slashes = topicSlashes(topic);
  if (slashes > MAX_TOPIC_SLASHES) return `topic has ${slashes} slashes, AWS IoT allows ${MAX_TOPIC_SLASHES}`;
  return undefined;
}

/** MQTT topic filter match (`+` one level, `#` the rest; `#` does not match the parent, per AWS). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return t.length > i; // "sensor/#" does not match "sensor" (mqtt.md differences)
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
