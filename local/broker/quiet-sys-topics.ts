/**
 * Stops aedes' per-client `$SYS` announcements: `$SYS/<broker id>/new/clients`,
 * `.../disconnect/clients`, `.../new/subscribes` and `.../new/unsubscribes`, which aedes publishes
 * through its whole publish pipeline (packet copy, JSON of the subscriptions, topic match against
 * every subscription) on every CONNECT, SUBSCRIBE, UNSUBSCRIBE and disconnect.
 *
 * Nobody can receive them: AWS IoT has no `$SYS` topics and no IoT policy grants them here; aedes
 * itself listens to `new/clients` only to close a client id taken over on *another* broker of a
 * cluster, and this broker is alone. The heartbeat and birth messages stay: aedes' will handling
 * reads them to know that this broker is alive (one per minute, not per client).
 */
import type { Aedes } from 'aedes';

/** Topic suffixes (after `$SYS/<broker id>/`) that are dropped. */
const PER_CLIENT_ANNOUNCEMENTS = [
  'new/clients',
  'disconnect/clients',
  'new/subscribes',
  'new/unsubscribes',
];

type PublishDone = (error?: Error | null) => void;

/** Installs the filter on a broker (once, before clients connect). */
export function quietSysTopics(aedes: Aedes): void {
  const prefix = `$SYS/${aedes.id}/`;
  const dropped = new Set(PER_CLIENT_ANNOUNCEMENTS.map(suffix => prefix + suffix));
  const publish = aedes.publish.bind(aedes) as (
    packet: { topic: string },
    client?: unknown,
    done?: PublishDone,
  ) => void;
  (aedes as unknown as { publish: typeof publish }).publish = (packet, client, done) => {
    // Broker-internal publishes come without a client (aedes calls publish(packet, done)).
    if (typeof client === 'function' && dropped.has(packet.topic))
      return (client as PublishDone)(null);
    publish(packet, client, done);
  };
}
