/**
 * AWS IoT's connect/disconnect lifecycle events, as pure data: topics, payloads and the
 * disconnect reason of a closed connection. The broker publishes them (iot-broker.ts).
 *
 * From "Lifecycle events" (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html):
 * - topics `$aws/events/presence/connected/<clientId>` and `$aws/events/presence/disconnected/<clientId>`;
 *   always on (they cannot be disabled); client ids containing `#` or `+` get no events;
 * - payload fields `clientId`, `timestamp` (epoch ms), `eventType`, `sessionIdentifier` (one per
 *   connection), `principalIdentifier` (the certificate id, or the IAM credentials), `ipAddress`
 *   (connect), `clientInitiatedDisconnect` and `disconnectReason` (disconnect), and `versionNumber`,
 *   a number that grows with each connection of a client id, so a subscriber can order the events.
 */

/** `disconnectReason` values the local broker reports (a subset of AWS's table). */
export type DisconnectReason =
  /** A policy or authentication refusal closed the connection. */
  | 'AUTH_ERROR'
  /** The client sent DISCONNECT (or a WebSocket close frame). */
  | 'CLIENT_INITIATED_DISCONNECT'
  /** The client broke a limit or the protocol (payload too large, QoS 2, ...). */
  | 'CLIENT_ERROR'
  /** The socket closed without DISCONNECT. */
  | 'CONNECTION_LOST'
  /** Another connection took over the client id. */
  | 'DUPLICATE_CLIENTID'
  /** No packet within 1.5 × keep-alive. */
  | 'MQTT_KEEP_ALIVE_TIMEOUT';

/** Payload of `$aws/events/presence/connected/<clientId>`. */
export interface ConnectedEvent {
  readonly clientId: string;
  readonly timestamp: number;
  readonly eventType: 'connected';
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly ipAddress: string;
  readonly versionNumber: number;
}

/** Payload of `$aws/events/presence/disconnected/<clientId>`. */
export interface DisconnectedEvent {
  readonly clientId: string;
  readonly timestamp: number;
  readonly eventType: 'disconnected';
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly clientInitiatedDisconnect: boolean;
  readonly disconnectReason: DisconnectReason;
  readonly ipAddress: string;
  readonly versionNumber: number;
}

/** One connection as the events describe it. */
export interface PresenceSession {
  readonly clientId: string;
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly ipAddress: string;
  readonly versionNumber: number;
}

/** Whether a client id gets lifecycle events (not when it contains `#` or `+`). */
export function hasPresenceEvents(clientId: string): boolean {
  return !clientId.includes('#') && !clientId.includes('+');
}

/** `$aws/events/presence/<connected|disconnected>/<clientId>` */
export function presenceTopic(eventType: 'connected' | 'disconnected', clientId: string): string {
  return `$aws/events/presence/${eventType}/${clientId}`;
}

export function connectedEvent(session: PresenceSession, timestamp: number): ConnectedEvent {
  return {
    clientId: session.clientId,
    timestamp,
    eventType: 'connected',
    sessionIdentifier: session.sessionIdentifier,
    principalIdentifier: session.principalIdentifier,
    ipAddress: session.ipAddress,
    versionNumber: session.versionNumber,
  };
}

export function disconnectedEvent(
  session: PresenceSession,
  reason: DisconnectReason,
  timestamp: number,
): DisconnectedEvent {
  return {
    clientId: session.clientId,
    timestamp,
    eventType: 'disconnected',
    sessionIdentifier: session.sessionIdentifier,
    principalIdentifier: session.principalIdentifier,
    clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
    disconnectReason: reason,
    ipAddress: session.ipAddress,
    versionNumber: session.versionNumber,
  };
}

/**
 * Why a connection ended, from what the broker saw: a reason already marked (takeover, a refusal
 * carrying `disconnectReason`), a DISCONNECT packet, or the error that closed it. (No event is
 * published while the broker shuts down, so AWS's `SERVER_INITIATED_DISCONNECT` never applies.)
 */
export function disconnectReasonOf(facts: {
  marked?: DisconnectReason;
  sentDisconnect: boolean;
  error?: Error & { disconnectReason?: DisconnectReason; code?: string };
}): DisconnectReason {
  if (facts.marked) return facts.marked;
  if (facts.sentDisconnect) return 'CLIENT_INITIATED_DISCONNECT';
  const error = facts.error;
  if (!error) return 'CONNECTION_LOST';
  if (error.disconnectReason) return error.disconnectReason;
  if (error.message === 'keep alive timeout') return 'MQTT_KEEP_ALIVE_TIMEOUT';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.code === 'ETIMEDOUT')
    return 'CONNECTION_LOST';
  return 'CLIENT_ERROR';
}
