/**
 * aedes hooks that enforce AWS IoT's rules. They only gather facts (identity, topic, limits) and
 * ask the pure evaluator (`../policy/evaluate-policies.ts`); validation happens before any side
 * effect, as aedes' own publish handler does.
 *
 * Behaviour on refusal, as AWS IoT Core behaves ("AWS IoT differences from MQTT version 3.1.1",
 * https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt-differences, and
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-actions.html):
 * - CONNECT not allowed (iot:Connect on `client/<id>`), or certificate no longer ACTIVE: CONNACK
 *   "not authorized" and the connection closes. (AWS documents code 7; MQTT 3.1.1 defines codes up
 *   to 5 and aedes sends 5.)
 * - PUBLISH not allowed (iot:Publish on `topic/<topic>`; with RETAIN also iot:RetainPublish), over a
 *   limit, QoS 2, or RETAIN on a reserved topic: the connection is closed (no PUBACK).
 * - SUBSCRIBE not allowed (iot:Subscribe on `topicfilter/<filter>`), over a limit (filter length or
 *   levels, 50 per connection, 8 per SUBSCRIBE packet) or QoS 2: that
 *   filter gets return code 0x80 in the SUBACK. (AWS documents "no SUBACK" for QoS 2; 0x80 is the
 *   closest a 3.1.1 broker can answer without stalling the client.)
 * - Delivery without iot:Receive on `topic/<topic>`: the message is silently not delivered.
 * - A retained message is delivered on SUBSCRIBE only to a filter equal to its topic (no wildcards).
 *
 * The principal is the connection's certificate (its attached policies, and the certificate must
 * stay ACTIVE), or on a WebSocket connection the SigV4 signer of the upgrade URL (the policies the
 * signer stands for; thing policy variables have no value there).
 */
import type { AedesOptions, Client } from 'aedes';
import type { IotAction } from '../policy/evaluate-policies';
import type { Registry } from '../registry/registry';
import { PolicyDecisionCache } from './policy-decision-cache';
import { MAX_CLIENT_ID_BYTES, MAX_PAYLOAD_BYTES, MAX_QOS, MAX_SUBSCRIPTIONS_PER_CONNECTION, topicLimitViolation } from './broker-limits';
import { policyContextFor, sigV4PolicyContext, type ConnectionIdentity, type SigV4Signer } from './connection-identity';
import type { DisconnectReason } from './presence-events';

/** The logger the broker writes to (pino-compatible subset). */
export interface BrokerLog {
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const identities = new WeakMap<object, ConnectionIdentity>();
/** Subscription objects refused before authorization (packet-level limits), with the reason. */
const refusedSubscriptions = new WeakMap<object, string>();

/** Marks one filter of a SUBSCRIBE packet as refused (it gets 0x80 in the SUBACK). */
export function refuseSubscription(subscription: object, reason: string): void {
  refusedSubscriptions.set(subscription, reason);
}

/** The identity of an aedes client (via its TLS socket or WebSocket stream), or undefined. */
export function identityOf(client: Client): ConnectionIdentity | undefined {
  return identities.get(client.conn);
}

/**
 * Error that makes aedes close the connection; `returnCode` is the CONNACK code at CONNECT,
 * `disconnectReason` what the lifecycle event reports (AUTH_ERROR for policy refusals,
 * CLIENT_ERROR for broken limits, as life-cycle-events.html describes them).
 */
function refusal(message: string, returnCode = 5, disconnectReason: DisconnectReason = 'AUTH_ERROR'): Error & { returnCode: number; disconnectReason: DisconnectReason } {
  return Object.assign(new Error(message), { returnCode, disconnectReason });
}

/** A refusal for breaking an AWS limit (not a policy decision). */
function limitRefusal(message: string): Error {
  return refusal(message, 5, 'CLIENT_ERROR');
}

/** Builds the four aedes hooks plus `attach`, which binds a TLS socket to its certificate. */
export function createPolicyHooks(deps: { registry: Registry; log: BrokerLog }) {
  const { registry, log } = deps;
  const arn = (resource: string): string => registry.arn(resource);
  const decisions = new PolicyDecisionCache();

  function allowed(identity: ConnectionIdentity, action: IotAction, resource: string): boolean {
    const policies = identity.signer ? identity.signer.policies() : registry.policiesFor(identity.certificateArn ?? '');
    const decision = decisions.decide(identity, policies, identity.context, action, arn(resource));
    if (decision.effect === 'Deny') {
      log.info({ clientId: identity.clientId, certificateId: identity.certificateId, accessKeyId: identity.signer?.accessKeyId, action, resource, reason: decision.reason, policy: decision.policyName }, 'denied by IoT policy');
      return false;
    }
    return true;
  }

  function activeIdentity(client: Client | null): ConnectionIdentity | undefined {
    if (!client) return undefined;
    const identity = identityOf(client);
    if (!identity) return undefined;
    // A SigV4 connection stays authorized once open (the URL's expiry applies to the upgrade).
    if (identity.signer) return identity;
    return identity.certificateId !== undefined && registry.getCertificate(identity.certificateId)?.status === 'ACTIVE' ? identity : undefined;
  }

  const hooks = {
    authenticate(client, _username, _password, done) {
      const identity = identityOf(client);
      const clientId = client.id;
      if (!identity) return done(refusal('no client certificate or SigV4 signature on this connection') as never, false);
      if (!clientId || Buffer.byteLength(clientId) > MAX_CLIENT_ID_BYTES) {
        return done(refusal(`client id must be 1..${MAX_CLIENT_ID_BYTES} bytes`, 2) as never, false);
      }
      if (identity.signer) {
        identity.clientId = clientId;
        identity.context = sigV4PolicyContext(clientId);
      } else {
        const certificateId = identity.certificateId ?? '';
        if (registry.getCertificate(certificateId)?.status !== 'ACTIVE') {
          return done(refusal('certificate is not ACTIVE') as never, false);
        }
        identity.clientId = clientId;
        identity.context = policyContextFor(registry, certificateId, clientId);
      }
      if (!allowed(identity, 'iot:Connect', `client/${clientId}`)) return done(refusal('iot:Connect denied') as never, false);
      done(null, true);
    },

    authorizePublish(client, packet, done) {
      if (!client) return done(null); // broker-internal publish (will messages are checked at CONNECT by AWS too)
      const identity = activeIdentity(client);
      if (!identity) return done(refusal('certificate is no longer ACTIVE'));
      const topic = packet.topic;
      const violation = topicLimitViolation(topic);
      if (violation) return done(limitRefusal(`PUBLISH ${topic}: ${violation}`));
      if (packet.qos > MAX_QOS) return done(limitRefusal(`PUBLISH ${topic}: QoS ${packet.qos} is not supported by AWS IoT`));
      const size = packet.payload ? Buffer.byteLength(packet.payload as Buffer) : 0;
      if (size > MAX_PAYLOAD_BYTES) return done(limitRefusal(`PUBLISH ${topic}: payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`));
      if (packet.retain && topic.startsWith('$aws/')) return done(limitRefusal(`PUBLISH ${topic}: RETAIN is not allowed on reserved topics`));
      if (!allowed(identity, 'iot:Publish', `topic/${topic}`)) return done(refusal(`iot:Publish denied on ${topic}`));
      if (packet.retain && !allowed(identity, 'iot:RetainPublish', `topic/${topic}`)) return done(refusal(`iot:RetainPublish denied on ${topic}`));
      done(null);
    },

    authorizeSubscribe(client, subscription, done) {
      const identity = activeIdentity(client);
      if (!identity) return done(refusal('certificate is no longer ACTIVE'));
      const filter = subscription.topic;
      const refuse = (why: string): void => {
        log.info({ clientId: identity.clientId, filter, why }, 'subscription refused');
        done(null, null);
      };
      const packetLimit = refusedSubscriptions.get(subscription);
      if (packetLimit) return refuse(packetLimit);
      const violation = topicLimitViolation(filter);
      if (violation) return refuse(violation);
      if (subscription.qos > MAX_QOS) return refuse(`QoS ${subscription.qos} is not supported by AWS IoT`);
      if (!identity.subscriptions.has(filter) && identity.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return refuse(`more than ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions on one connection`);
      }
      if (!allowed(identity, 'iot:Subscribe', `topicfilter/${filter}`)) return refuse('iot:Subscribe denied');
      identity.subscriptions.add(filter);
      done(null, subscription);
    },

    authorizeForward(client, packet) {
      const identity = activeIdentity(client);
      if (!identity) return null;
      if (packet.retain && !Object.prototype.hasOwnProperty.call((client as unknown as { subscriptions: object }).subscriptions, packet.topic)) return null;
      return allowed(identity, 'iot:Receive', `topic/${packet.topic}`) ? packet : null;
    },
  } satisfies Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>;

  return {
    ...hooks,
    /** Binds a TLS socket to the certificate it authenticated with. */
    attach(socket: { readonly remoteAddress?: string }, certificateId: string, certificateArn: string): void {
      identities.set(socket, { certificateId, certificateArn, remoteAddress: socket.remoteAddress, context: {}, subscriptions: new Set() });
    },
    /** Binds a WebSocket stream to the SigV4 signer of its upgrade URL. */
    attachSigner(stream: object, signer: SigV4Signer, remoteAddress: string | undefined): void {
      identities.set(stream, { signer, remoteAddress, context: {}, subscriptions: new Set() });
    },
  };
}
