/**
 * The page's one MQTT connection, straight to the broker over WebSockets (MQTT.js). The URL is
 * presigned by the server (`/api/connection`) and short-lived, so every (re)connect asks for a
 * fresh one; subscriptions are made again after a reconnect. Views subscribe with a handler and
 * get only the messages whose topic matches their filter (`topic-filter.ts`).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { api } from './api';
import { topicMatches } from './topic-filter';

export type BrokerState = 'connecting' | 'connected' | 'offline';
export type MessageHandler = (topic: string, payload: Uint8Array) => void;

interface Subscription {
  readonly filter: string;
  readonly handler: MessageHandler;
  /** Refused by the broker (SUBACK 0x80: the console policy does not allow it). */
  refused?: boolean;
  onRefused?: () => void;
}

export class Broker {
  state: BrokerState = 'connecting';
  clientId = '';
  lastError = '';
  private client?: MqttClient;
  private readonly subs = new Set<Subscription>();
  private readonly listeners = new Set<() => void>();
  private retryMs = 1000;
  private stopped = false;

  start(): void {
    void this.connect();
  }

  /** Called on every state change. Returns the function that removes it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(state: BrokerState, error = ''): void {
    this.state = state;
    if (error) this.lastError = error;
    for (const l of this.listeners) l();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.set('connecting');
    let info;
    try {
      info = await api.connection();
    } catch (error) {
      this.set('offline', (error as Error).message);
      return this.retry();
    }
    this.clientId = info.clientId;
    // reconnectPeriod 0: MQTT.js would reuse the expired URL; we reconnect with a fresh one.
    const client = mqtt.connect(info.url, {
      clientId: info.clientId,
      protocolVersion: 4,
      reconnectPeriod: 0,
      keepalive: 30,
      clean: true,
    });
    this.client = client;
    client.on('connect', () => {
      this.retryMs = 1000;
      this.set('connected');
      for (const s of this.subs) this.subscribeOnWire(s);
    });
    client.on('message', (topic, payload) => {
      for (const s of this.subs) if (topicMatches(s.filter, topic)) s.handler(topic, payload);
    });
    client.on('error', error => this.set(this.state, error.message));
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end(true);
      this.set('offline');
      this.retry();
    });
  }

  private retry(): void {
    if (this.stopped) return;
    setTimeout(() => void this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 15_000);
  }

  private subscribeOnWire(s: Subscription): void {
    this.client?.subscribe(s.filter, { qos: 0 }, (error, granted) => {
      const refused = !!error || granted?.some(g => g.qos === 128) === true;
      s.refused = refused;
      if (refused) s.onRefused?.();
    });
  }

  /** Subscribes `filter`; `onRefused` runs when the broker refuses it. Returns the unsubscribe. */
  subscribe(filter: string, handler: MessageHandler, onRefused?: () => void): () => void {
    const s: Subscription = { filter, handler, onRefused };
    this.subs.add(s);
    if (this.state === 'connected') this.subscribeOnWire(s);
    return () => {
      this.subs.delete(s);
      if ([...this.subs].every(o => o.filter !== filter)) this.client?.unsubscribe(filter);
    };
  }

  /** Publishes (QoS 1); rejects when not connected or the broker drops the connection. */
  publish(topic: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.client || this.state !== 'connected')
        return reject(new Error('not connected to the broker'));
      this.client.publish(topic, payload, { qos: 1 }, error => (error ? reject(error) : resolve()));
    });
  }

  stop(): void {
    this.stopped = true;
    this.client?.end(true);
  }
}

export const broker = new Broker();
