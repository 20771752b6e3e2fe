/**
 * Who is online, live: AWS IoT's lifecycle events `$aws/events/presence/connected/<clientId>` and
 * `…/disconnected/<clientId>` (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html;
 * payload `{ clientId, timestamp, eventType, … }`). Devices connect with their thing name as the
 * client id, so the key is the thing name. An event older than what is known is ignored: events
 * can arrive out of order (the AWS page says so), and the index's connectivity may be newer.
 */
export interface Presence {
  readonly connected: boolean;
  /** Epoch ms of the event. */
  readonly at: number;
}

/** Two filters, not `presence/+/+`: the console policy allows each event branch by name. */
export const PRESENCE_FILTERS = [
  '$aws/events/presence/connected/+',
  '$aws/events/presence/disconnected/+',
] as const;

export class PresenceBook {
  private readonly byClient = new Map<string, Presence>();
  private version = 0;

  /** Applies one lifecycle message; returns whether anything changed. */
  apply(topic: string, payload: Uint8Array): boolean {
    const m = /^\$aws\/events\/presence\/(connected|disconnected)\/(.+)$/.exec(topic);
    if (!m) return false;
    let at = Date.now();
    try {
      const body = JSON.parse(new TextDecoder().decode(payload)) as { timestamp?: unknown };
      if (typeof body.timestamp === 'number') at = body.timestamp;
    } catch {
      // A payload that is not JSON still says connected or disconnected by its topic.
    }
    return this.set(m[2], { connected: m[1] === 'connected', at });
  }

  /** Records what the fleet index said, unless a newer event is known. */
  set(clientId: string, presence: Presence): boolean {
    const known = this.byClient.get(clientId);
    if (known && known.at > presence.at) return false;
    if (known && known.at === presence.at && known.connected === presence.connected) return false;
    this.byClient.set(clientId, presence);
    this.version += 1;
    return true;
  }

  get(clientId: string): Presence | undefined {
    return this.byClient.get(clientId);
  }

  /** Client ids with a known presence. */
  names(): string[] {
    return [...this.byClient.keys()];
  }

  /** Changes with every applied event (for views to notice). */
  get revision(): number {
    return this.version;
  }
}
