/**
 * Who is on a connection: the certificate presented in the TLS handshake (its AWS certificate id
 * and ARN), or, on the WebSocket listener, the SigV4 signer of the upgrade URL; after CONNECT, the
 * client id and the policy context.
 */
import type { TLSSocket } from 'node:tls';
import { certificateIdOfDer } from '../pki/certificate-id';
import type { NamedPolicy, PolicyContext } from '../policy/evaluate-policies';
import type { Registry } from '../registry/registry';

/** The AWS credentials that signed a WebSocket upgrade URL, and the policies that govern them. */
export interface SigV4Signer {
  readonly accessKeyId: string;
  /** The IAM principal the credentials stand for (an IAM role or the account root). */
  readonly principalArn: string;
  /** Policies evaluated for this signer's MQTT actions. */
  policies(): readonly NamedPolicy[];
}

/** The identity of one MQTT connection: a certificate (mutual TLS) or a SigV4 signer (WebSocket). */
export interface ConnectionIdentity {
  /** Certificate of a mutual-TLS connection; undefined on a SigV4 WebSocket connection. */
  readonly certificateId?: string;
  readonly certificateArn?: string;
  /** Signer of a SigV4 WebSocket connection; undefined on a mutual-TLS connection. */
  readonly signer?: SigV4Signer;
  /** Peer address (for lifecycle events). */
  readonly remoteAddress?: string;
  clientId?: string;
  /** Policy variables and condition keys for this connection (set at CONNECT). */
  context: PolicyContext;
  /** Number of accepted subscriptions, for the per-connection quota. */
  subscriptions: Set<string>;
}

/** Certificate id of the TLS peer, or undefined when it presented none. */
export function peerCertificateId(socket: TLSSocket): string | undefined {
  // Measured on Node 20: the first getPeerCertificate() on a socket costs ~0.4 ms, the first
  // getPeerX509Certificate() ~0.8 ms (it builds a KeyObject-backed X509Certificate).
  const raw = socket.getPeerCertificate()?.raw;
  return raw && raw.length > 0 ? certificateIdOfDer(raw) : undefined;
}

/**
 * The policy context for `clientId` on a connection with `certificateId`
 * (https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html): thing
 * variables resolve only when the client id names a thing attached to the certificate.
 */
export function policyContextFor(registry: Registry, certificateId: string, clientId: string): PolicyContext {
  const attached = registry.thingsOf(certificateId).has(clientId);
  const context: Record<string, string | undefined> = {
    'iot:ClientId': clientId,
    'iot:Connection.Thing.IsAttached': attached ? 'true' : 'false',
  };
  if (attached) {
    const thing = registry.getThing(clientId);
    context['iot:Connection.Thing.ThingName'] = clientId;
    if (thing?.thingTypeName) context['iot:Connection.Thing.ThingTypeName'] = thing.thingTypeName;
    for (const [k, v] of Object.entries(thing?.attributes ?? {})) context[`iot:Connection.Thing.Attributes[${k}]`] = v;
  }
  return context;
}

/**
 * The policy context of a SigV4 connection: only `iot:ClientId`. The thing variables
 * (`iot:Connection.Thing.*`) need a certificate attached to a thing, so they have no value and a
 * resource naming them matches nothing
 * (https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html).
 */
export function sigV4PolicyContext(clientId: string): PolicyContext {
  return { 'iot:ClientId': clientId };
}
