/**
 * The S3 endpoint as a local-cloud service: its appliers join the Terraform apply (the stack's
 * bucket, settings and job document objects), and `start` opens the store in the state dir,
 * creates what the stack declares and publishes `endpoints.s3` in `local-cloud.json`.
 */
import type { LocalService } from '../local-cloud-config';
import { applyS3Declarations, s3Appliers } from './s3-appliers';
import { startS3Server } from './s3-server';
import type { S3ServerOptions } from './s3-server-options';

/** Options the local cloud does not decide for the S3 service. */
export type S3ServiceOptions = Pick<S3ServerOptions, 'port' | 'now' | 'loopbackCountsAsTls'>;

export function s3Service(options: S3ServiceOptions = {}): LocalService {
  return {
    name: 's3',
    appliers: s3Appliers(),
    async start(ctx) {
      const server = await startS3Server({
        ...options,
        host: ctx.host,
        stateDir: ctx.stateDir,
        region: ctx.region,
        credentials: [ctx.credentials],
        logger: ctx.log,
      });
      try {
        await applyS3Declarations(
          server.store,
          ctx.applied.blocks,
          ctx.applied.attributes,
          message => ctx.log.warn({ service: 's3' }, message),
        );
      } catch (error) {
        await server.close();
        throw error;
      }
      return { endpoints: { s3: server.url }, close: () => server.close() };
    },
  };
}
