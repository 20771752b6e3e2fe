/**
 * The AWS SDK v3 clients the processors use, made from the configuration: the same code talks to
 * AWS or to the local cloud — only `endpoint` and `credentials` differ. Processors get these
 * injected (`ProcessorContext`), never construct their own.
 *
 * Retries: the SDK's `standard` retry mode retries throttling, 5xx and network errors up to
 * `maxAttempts` with jittered backoff inside one BullMQ attempt; BullMQ's exponential backoff
 * (queues.ts) takes over after that.
 */
import { IoTClient } from '@aws-sdk/client-iot';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { WorkerConfig } from '../config/worker-config';

/** The clients, as processors see them (`send` is all they call). */
export interface AwsClients {
  readonly s3: S3Client;
  readonly kms: KMSClient;
  readonly iot: IoTClient;
  destroy(): void;
}

/** SDK attempts per call (the SDK default is 3). */
const SDK_MAX_ATTEMPTS = 3;

export function createAwsClients(config: WorkerConfig): AwsClients {
  const common = {
    region: config.region,
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryMode: 'standard',
    ...(config.credentials ? { credentials: config.credentials } : {}),
  } as const;
  const s3 = new S3Client({
    ...common,
    ...(config.endpoints.s3 ? { endpoint: config.endpoints.s3, forcePathStyle: true } : {}),
  });
  const kms = new KMSClient({
    ...common,
    ...(config.endpoints.kms ? { endpoint: config.endpoints.kms } : {}),
  });
  const iot = new IoTClient({
    ...common,
    ...(config.endpoints.iot ? { endpoint: config.endpoints.iot } : {}),
  });
  return {
    s3,
    kms,
    iot,
    destroy() {
      s3.destroy();
      kms.destroy();
      iot.destroy();
    },
  };
}
