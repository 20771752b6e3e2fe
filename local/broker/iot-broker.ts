/**
 * The local AWS IoT message broker: aedes (MQTT 3.1.1) over `node:tls` with mutual TLS, and over
 * WebSocket streams handed in by the SigV4 WebSocket listener (`handleSigV4Stream`).
 * - Identity is the client certificate. Unknown, inactive, revoked or pending certificates are
 *   refused at the TLS stage (socket closed before MQTT) and again at CONNECT. On a WebSocket
 *   stream it is the SigV4 signer of the upgrade URL, checked before the stream gets here.
 * - Lifecycle events `$aws/events/presence/{connected,disconnected}/<clientId>` are published on
 *   every connect and disconnect (presence-events.ts).
 * - Every decision goes through the pure policy evaluator from aedes' hooks (see policy-hooks.ts).
 * - Authorized publishes on `$aws/...` request topics are handed to the reserved-topic dispatcher.
 * - Retained messages persist in the registry across restarts.
 */
import { constants, randomUUID } from 'node:crypto';
import { once, type EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { LISTEN_BACKLOG } from '../listen-backlog';
import type { Registry } from '../registry/registry';
import { effectiveKeepalive, MAX_SUBSCRIPTIONS_PER_SUBSCRIBE, topicMatchesFilter } from './broker-limits';
import { peerCertificateId, type SigV4Signer } from './connection-identity';
import { coalesceWrites } from './coalesce-writes';
import { guardQueueDrain } from './guard-queue-drain';
import { quietSysTopics } from './quiet-sys-topics';
import { createPolicyHooks, identityOf, refuseSubscription, type BrokerLog } from './policy-hooks';
import { connectedEvent, disconnectedEvent, disconnectReasonOf, hasPresenceEvents, presenceTopic, type DisconnectReason, type PresenceSession } from './presence-events';
import type { ReservedTopicDispatcher } from './reserved-topics';

/** Options for {@link startIotBroker}. */
export interface IotBrokerOptions {
  readonly registry: Registry;
  readonly dispatcher: ReservedTopicDispatcher;
  readonly caCertPem: string;
  readonly serverKeyPem: string;
  readonly serverCertPem: string;
  /** @defaultValue `127.0.0.1` */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: BrokerLog;
}

/** A running broker. */
export interface IotBroker {
  readonly port: number;
  readonly aedes: Aedes;
  readonly server: Server;
  /** Number of connected MQTT clients. */
  connectedClients(): number;
  /**
   * Serves MQTT on a stream whose SigV4 signature was verified (a WebSocket), with the same
   * hooks, limits and lifecycle events as a TLS connection.
   */
  handleSigV4Stream(stream: Duplex, signer: SigV4Signer, remoteAddress: string | undefined, transport?: StreamTransportFacts): void;
  close(): Promise<void>;
}

/** What the transport of a handed-in stream knows about how it ended. */
export interface StreamTransportFacts {
  /** True once the peer closed the transport cleanly (a WebSocket close frame). */
  closedByPeer(): boolean;
}

/** Starts the broker (see the file header). */
export async function startIotBroker(options: IotBrokerOptions): Promise<IotBroker> {
  const { registry, dispatcher, log } = options;
  const hooks = createPolicyHooks({ registry, log });
  const marked = new WeakMap<Client, DisconnectReason>();
  const aedes = await Aedes.createBroker({
    ...hooks,
    authenticate(client, username, password, done) {
      hooks.authenticate(client, username, password, (error, ok) => {
        // A new connection taking over a client id ends the old one (DUPLICATE_CLIENTID).
        // (`aedes` is assigned by the time a client authenticates.)
        const previous = (aedes as unknown as { clients: Record<string, Client> }).clients[client.id];
        if (!error && ok && previous && previous !== client) marked.set(previous, 'DUPLICATE_CLIENTID');
        done(error, ok);
      });
    },
    // Clamp keep-alive as AWS does (aedes' own keepaliveLimit would refuse the CONNECT instead).
    preConnect(_client, packet, done) {
      packet.keepalive = effectiveKeepalive(packet.keepalive ?? 0);
      done(null, true);
    },
    maxClientsIdLength: 128,
    // aedes' own level cap is a safety net; AWS's 7-slash limit is checked in the hooks.
    maxTopicLevels: 64,
  });
  // Bursts of publishes (a job notifying thousands of things) must not recurse through aedes' queue.
  guardQueueDrain(aedes);
  quietSysTopics(aedes);
  for (const retained of registry.listRetained()) {
    await (aedes as unknown as { persistence: { storeRetained(p: unknown): Promise<void> } }).persistence.storeRetained({ cmd: 'publish', topic: retained.topic, payload: retained.payload, qos: retained.qos as 0 | 1, retain: true, dup: false } as never);
  }

  aedes.on('publish', (packet, client) => {
    if (!client) return;
    if (packet.retain) registry.putRetained(packet.topic, Buffer.from(packet.payload), packet.qos);
    if (!packet.topic.startsWith('$aws/')) return;
    const routed = dispatcher.route(packet.topic);
    const identity = identityOf(client);
    if (!routed || !identity?.clientId) return;
    const reply = (topic: string, body: unknown): Promise<void> =>
      new Promise(resolve => {
        const subscribed = Object.keys((client as unknown as { subscriptions: object }).subscriptions).some(filter => topicMatchesFilter(filter, topic));
        if (!subscribed || client.closed) return resolve();
        client.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 0, retain: false, dup: false } as never, () => resolve());
      });
    routed.family
      .handle({ topic: packet.topic, match: routed.match, payload: Buffer.from(packet.payload), clientId: identity.clientId, certificateId: identity.certificateId, reply })
      .catch(error => log.error({ err: error, topic: packet.topic, family: routed.family.name }, 'reserved topic handler failed'));
  });
  aedes.on('unsubscribe', (filters: string[], client: Client) => {
    const identity = identityOf(client);
    for (const filter of filters) identity?.subscriptions.delete(filter);
  });
  const errors = new WeakMap<Client, Error>();
  aedes.on('clientError', (client: Client, error: Error) => {
    errors.set(client, error);
    log.debug({ clientId: client.id, err: error.message }, 'client error');
  });

  // Lifecycle events. versionNumber grows across restarts too (seeded with the clock).
  const sessions = new WeakMap<Client, PresenceSession>();
  const transports = new WeakMap<object, StreamTransportFacts>();
  let version = Date.now();
  const publishEvent = (topic: string, body: unknown): void =>
    aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: 0, retain: false, dup: false } as never, () => {});
  aedes.on('client', (client: Client) => {
    const identity = identityOf(client);
    if (!hasPresenceEvents(client.id)) return;
    const session: PresenceSession = {
      clientId: client.id,
      sessionIdentifier: randomUUID(),
      principalIdentifier: identity?.certificateId ?? identity?.signer?.accessKeyId ?? '',
      ipAddress: identity?.remoteAddress ?? '',
      versionNumber: ++version,
    };
    sessions.set(client, session);
    publishEvent(presenceTopic('connected', client.id), connectedEvent(session, Date.now()));
  });
  aedes.on('clientDisconnect', (client: Client) => {
    const session = sessions.get(client);
    if (!session || aedes.closed) return;
    // A DISCONNECT packet, or a WebSocket close frame ("Close frame if the client is using a
    // WebSocket connection", life-cycle-events.html), is a client-initiated disconnect.
    const sentDisconnect = (client as unknown as { _disconnected?: boolean })._disconnected === true || transports.get(client.conn)?.closedByPeer() === true;
    const reason = disconnectReasonOf({ marked: marked.get(client), sentDisconnect, error: errors.get(client) });
    publishEvent(presenceTopic('disconnected', client.id), disconnectedEvent(session, reason, Date.now()));
  });

  /** Hands a connection whose identity is attached to aedes, with the SUBSCRIBE packet limit. */
  const serve = (conn: Duplex): void => {
    const client = aedes.handle(conn) as unknown as { _parser?: EventEmitter };
    // AWS allows at most 8 filters per SUBSCRIBE; aedes' hooks see one filter at a time, so the
    // packet is inspected here (aedes' parser is internal: `_parser`) and the extra filters marked.
    client._parser?.prependListener('packet', (packet: { cmd: string; subscriptions?: object[] }) => {
      if (packet.cmd === 'subscribe' && packet.subscriptions && packet.subscriptions.length > MAX_SUBSCRIPTIONS_PER_SUBSCRIBE) {
        for (const sub of packet.subscriptions.slice(MAX_SUBSCRIPTIONS_PER_SUBSCRIBE)) refuseSubscription(sub, `more than ${MAX_SUBSCRIPTIONS_PER_SUBSCRIBE} filters in one SUBSCRIBE`);
      }
    });
  };

  const server = createServer(
    {
      key: options.serverKeyPem,
      cert: options.serverCertPem,
      ca: [options.caCertPem],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      // Small MQTT packets (CONNACK, SUBACK, replies) must not wait for Nagle + delayed ACK (~40 ms each).
      noDelay: true,
      // No stateless session tickets: OpenSSL 3 builds each TLS 1.3 ticket by serialising the session
      // and parsing it back (peer certificate included), ~0.4 ms of every handshake, and devices do
      // not resume sessions. With this option TLS 1.3 still sends a (stateful) ticket that nothing
      // stores, so a resumption attempt falls back to a full handshake.
      secureOptions: constants.SSL_OP_NO_TICKET,
    },
    (socket: TLSSocket) => {
      // Refuse unknown or non-ACTIVE certificates before any MQTT byte is read.
      const certificateId = peerCertificateId(socket);
      const record = certificateId ? registry.getCertificate(certificateId) : undefined;
      if (!record || record.status !== 'ACTIVE') {
        log.info({ certificateId, status: record?.status ?? 'unknown' }, 'refused TLS connection: certificate not active');
        socket.destroy();
        return;
      }
      hooks.attach(socket, record.certificateId, record.certificateArn);
      coalesceWrites(socket);
      serve(socket);
    },
  );
  server.on('tlsClientError', error => log.debug({ err: error.message }, 'TLS handshake failed'));
  server.listen({ port: options.port, host: options.host ?? '127.0.0.1', backlog: LISTEN_BACKLOG });
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    aedes,
    server,
    connectedClients: () => aedes.connectedClients,
    handleSigV4Stream(stream, signer, remoteAddress, transport) {
      hooks.attachSigner(stream, signer, remoteAddress);
      if (transport) transports.set(stream, transport);
      // Several packets in one loop turn leave as one write, hence one WebSocket frame.
      coalesceWrites(stream);
      serve(stream);
    },
    async close() {
      await new Promise<void>(resolve => aedes.close(() => resolve()));
      server.close();
      // Destroy lingering sockets (clients that never sent CONNECT).
      await new Promise<void>(resolve => {
        server.getConnections(() => resolve());
      });
    },
  };
}
