/**
 * The CDK-for-Terraform app (`cdktf.json` runs it with tsx): one FleetStack per environment in
 * `infra/environments.ts`. `cdktf synth` / `cdktf deploy <env>` set CDKTF_OUTDIR.
 */
import { synthEnvironments } from './infra/synth';

synthEnvironments({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
