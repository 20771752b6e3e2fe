/**
 * The KMS endpoint as a local-cloud service: its appliers join the Terraform apply (the stack's
 * keys and aliases), and `start` opens the key store in the state dir, generates keys the stack
 * declares that do not exist yet, and publishes `endpoints.kms` in `local-cloud.json`.
 */
import type { LocalService } from '../local-cloud-config';
import { applyKmsDeclarations, kmsAppliers } from './kms-appliers';
import { startKmsServer, type KmsServerOptions } from './kms-server';

/** Options the local cloud does not decide for the KMS service. */
export type KmsServiceOptions = Pick<KmsServerOptions, 'port' | 'now'>;

export function kmsService(options: KmsServiceOptions = {}): LocalService {
  return {
    name: 'kms',
    appliers: kmsAppliers(),
    async start(ctx) {
      const server = await startKmsServer({
        ...options,
        host: ctx.host,
        stateDir: ctx.stateDir,
        region: ctx.region,
        accountId: ctx.accountId,
        credentials: [ctx.credentials],
        logger: ctx.log,
      });
      try {
        applyKmsDeclarations(server.keys, ctx.applied.blocks);
      } catch (error) {
        await server.close();
        throw error;
      }
      return { endpoints: { kms: server.url }, close: () => server.close() };
    },
  };
}
