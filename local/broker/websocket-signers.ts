/**
 * Who may sign MQTT-over-WebSocket URLs on the local cloud, and what governs each signer:
 * - the account's admin credentials (`credentials` in local-cloud.json) stand for the account
 *   root and get full MQTT access, as an IAM administrator has on AWS (AdministratorAccess allows
 *   `iot:*`); tools and benchmarks use them;
 * - the console credentials (`console.credentials`) stand for the console's IAM role and are
 *   governed by the IoT policies attached to that role's ARN in the registry: the stack's
 *   `<prefix>-console` policy (infra/console-access.ts), attached at start.
 */
import type { NamedPolicy } from '../policy/evaluate-policies';
import { parsePolicyDocument } from '../policy/policy-document';
import type { Registry } from '../registry/registry';
import type { SigV4Signer } from './connection-identity';
import type { WebSocketSigner } from './mqtt-websocket-listener';

/** An access key pair. */
export interface AccessKeyPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * The admin identity's grant: every MQTT action on every resource (IAM AdministratorAccess). One
 * frozen array, so decisions cached per policy array stay valid.
 */
const ADMIN_POLICIES: readonly NamedPolicy[] = Object.freeze([
  {
    name: 'local-cloud-admin (AdministratorAccess)',
    document: parsePolicyDocument(
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] },
      'local-cloud-admin',
    ),
  },
]);

/** Options for {@link webSocketSigners}. */
export interface WebSocketSignersOptions {
  readonly registry: Registry;
  /** The account root ARN (`arn:aws:iam::<account>:root`). */
  readonly rootArn: string;
  readonly admin: AccessKeyPair;
  /** The console pair and the role ARN whose attached IoT policies govern it. */
  readonly console?: { readonly credentials: AccessKeyPair; readonly roleArn: string };
}

/** The signer lookup for the WebSocket listener. */
export function webSocketSigners(
  options: WebSocketSignersOptions,
): (accessKeyId: string) => WebSocketSigner | undefined {
  const { registry } = options;
  const admin: WebSocketSigner = {
    secretAccessKey: options.admin.secretAccessKey,
    signer: {
      accessKeyId: options.admin.accessKeyId,
      principalArn: options.rootArn,
      policies: () => ADMIN_POLICIES,
    },
  };
  const consoleSigner: WebSocketSigner | undefined = options.console && {
    secretAccessKey: options.console.credentials.secretAccessKey,
    signer: {
      accessKeyId: options.console.credentials.accessKeyId,
      principalArn: options.console.roleArn,
      policies: () => registry.policiesFor(options.console!.roleArn),
    } satisfies SigV4Signer,
  };
  return accessKeyId => {
    if (accessKeyId === options.admin.accessKeyId) return admin;
    if (consoleSigner && accessKeyId === consoleSigner.signer.accessKeyId) return consoleSigner;
    return undefined;
  };
}
