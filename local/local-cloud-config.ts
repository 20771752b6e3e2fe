/**
 * Types of the local cloud's public surface: `local-cloud.json` (the discovery file every client
 * reads — its shape is fixed by issue 5, keep it exact), start options, and the service plug-in
 * contract that later parts (S3, KMS, IoT control plane, jobs) use to add endpoints.
 */
import type { LocalCa } from './pki/local-ca';
import type { Registry } from './registry/registry';
import type { ReservedTopicDispatcher } from './broker/reserved-topics';
import type { IotBroker } from './broker/iot-broker';
import type { AppliedStack } from './terraform/apply-stack';
import type { ResourceAppliers } from './terraform/resource-applier';

/** The content of `<stateDir>/local-cloud.json`. */
export interface LocalCloudConfig {
  readonly region: string;
  readonly accountId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly mqtt: { readonly host: string; readonly port: number; readonly serverName: string; readonly caFile: string };
  readonly endpoints: LocalCloudEndpoints;
  readonly claim: { readonly certFile: string; readonly keyFile: string } | null;
  readonly provisioningTemplate: string | null;
  /**
   * The operator console's own identity (issue 11): a credential pair made once per state dir,
   * governed on the MQTT WebSocket endpoint by the console IoT policy the stack declares
   * (`policyName`) for the console's IAM role (`roleArn`). Null when the stack declares none.
   * The top-level `credentials` are the account's admin pair (full access, like an IAM admin).
   */
  readonly console: LocalConsoleIdentity | null;
}

/** The `console` field of `local-cloud.json`. */
export interface LocalConsoleIdentity {
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The IoT policy evaluated for connections signed with these credentials. */
  readonly policyName: string;
  /** The IAM role the console assumes on AWS; locally the principal the credentials stand for. */
  readonly roleArn: string;
}

/** HTTP(S) endpoints of the local services; null until the service that serves it exists. */
export interface LocalCloudEndpoints {
  readonly iot: string | null;
  readonly iotJobsData: string | null;
  readonly s3: string | null;
  readonly kms: string | null;
  /**
   * MQTT over WebSockets with SigV4-signed URLs (`wss://localhost:<port>/mqtt`; the same port
   * also takes plain `ws://` from loopback). Sign URLs with service `iotdevicegateway`.
   */
  readonly mqttWebSocket: string | null;
}

/** The logger the local cloud writes to (a pino logger fits). */
export interface LocalCloudLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a service gets when the local cloud starts it (after apply, after the broker is up). */
export interface LocalServiceContext {
  readonly stateDir: string;
  /** Interface to listen on (127.0.0.1). */
  readonly host: string;
  readonly region: string;
  readonly accountId: string;
  readonly credentials: LocalCloudConfig['credentials'];
  readonly applied: AppliedStack;
  readonly registry: Registry;
  readonly ca: LocalCa;
  /** Register reserved-topic families here (shadows, jobs). */
  readonly dispatcher: ReservedTopicDispatcher;
  /** The running MQTT broker (services publish from the broker and follow connections). */
  readonly broker: IotBroker;
  /** Endpoints of the services started so far (all of them once start-up is over). */
  readonly endpoints: () => LocalCloudEndpoints;
  /** Server TLS credentials (CA-signed, for localhost/127.0.0.1/serverName) for HTTPS services. */
  readonly serverTls: { readonly keyPem: string; readonly certPem: string; readonly caCertPem: string };
  readonly log: LocalCloudLog;
}

/** A running service. */
export interface RunningLocalService {
  /** Endpoints to publish in `local-cloud.json` (e.g. `{ s3: 'http://127.0.0.1:4566' }`). */
  readonly endpoints?: Partial<LocalCloudEndpoints>;
  close(): Promise<void>;
}

/**
 * A service plugged into the local cloud. `appliers` join the apply step (so the service's
 * resource types are created from the stack, and no longer listed as unknown); `start` runs after
 * apply, with the applied stack.
 */
export interface LocalService {
  readonly name: string;
  readonly appliers?: ResourceAppliers;
  start(ctx: LocalServiceContext): Promise<RunningLocalService>;
}

/** Options for `startLocalCloud`. */
export interface StartLocalCloudOptions {
  /** State directory (registry, PKI, credentials, claim key, synthesized stack). */
  readonly stateDir: string;
  /** @defaultValue `dev` */
  readonly env?: string;
  /** Use this `cdk.tf.json` instead of synthesizing `env`. */
  readonly tfJsonPath?: string;
  /** MQTT port; 0 picks a free one. @defaultValue 8883 (1883 is left to Mosquitto) */
  readonly mqttPort?: number;
  /**
   * Port of MQTT over WebSockets (wss, and ws from loopback); 0 picks a free one.
   * @defaultValue 8443, or 0 when `mqttPort` is 0
   */
  readonly webSocketPort?: number;
  /** @defaultValue `127.0.0.1` — the local cloud never listens on other interfaces */
  readonly host?: string;
  /** @defaultValue `000000000000` */
  readonly accountId?: string;
  /** Extra services (S3, KMS, ...). @defaultValue none */
  readonly services?: readonly LocalService[];
  /** Clock for ownership-token expiry. @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Module implementing the pre-provisioning hook. @defaultValue `infra/provisioning-hook/handler.ts` */
  readonly hookModuleUrl?: string;
  /** @defaultValue a silent logger */
  readonly log?: LocalCloudLog;
}

/** A running local cloud. */
export interface LocalCloud {
  readonly config: LocalCloudConfig;
  readonly configPath: string;
  readonly registry: Registry;
  readonly applied: AppliedStack;
  /** Stops every service and the broker, and saves the registry. */
  close(): Promise<void>;
}
