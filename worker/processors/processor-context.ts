/**
 * What every processor is given: the configuration, the injected AWS clients, the stores and the
 * queues it may add follow-up jobs to. Processors build nothing of their own, so tests and the
 * benchmark can hand them clients pointed anywhere.
 */
import type { Queue } from 'bullmq';
import type { AwsClients } from '../clients/aws-clients';
import type { WorkerConfig } from '../config/worker-config';
import type { Logger } from '../logging/logger';
import type { ReleaseSigners } from '../release/create-signers';
import type { ReleaseStore } from '../release/release-store';
import type { RolloutStore } from '../rollout/rollout-store';

export interface ProcessorContext {
  readonly config: WorkerConfig;
  readonly clients: Pick<AwsClients, 's3' | 'kms' | 'iot'>;
  readonly releases: ReleaseStore;
  readonly rollouts: RolloutStore;
  readonly queues: { readonly dispatch: Queue; readonly advance: Queue };
  readonly signers: () => Promise<ReleaseSigners>;
  readonly log: Logger;
  /** The clock (milliseconds). */
  readonly now: () => number;
}
