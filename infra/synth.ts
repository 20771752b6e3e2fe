/**
 * Synthesizes fleet environments to Terraform JSON: `cdktf synth` (through `main.ts`),
 * `npm run synth`, and the local cloud (`fleet local up` synthesizes `dev` with its own claim CSR)
 * all come through here.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { environmentNames, parseEnvironment } from './environments';
import { FleetStack } from './fleet-stack';

/** The repository root (this file is `<root>/infra/synth.ts`). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface SynthOverrides {
  /**
   * Claim CSR for every synthesized environment, instead of each environment's `claimCsrPath`
   * (absolute, or relative to `projectRoot`). The file need not exist at synth time.
   */
  readonly claimCsrPath?: string;
  /**
   * Where the pre-provisioning hook bundle is cached.
   * @defaultValue `<projectRoot>/.gen/provisioning-hook`
   */
  readonly bundleCacheDir?: string;
  /**
   * Whether stacks manage the account-wide IoT settings (event configuration, fleet indexing).
   * @defaultValue true
   */
  readonly manageAccountSettings?: boolean;
}

export interface SynthOptions {
  /** Output directory (cdktf's `cdktf.out`); stacks land in `<outdir>/stacks/<env>/cdk.tf.json`. */
  readonly outdir: string;
  /**
   * Environments to synthesize.
   * @defaultValue every environment in `infra/environments.ts`
   */
  readonly environments?: readonly string[];
  readonly overrides?: SynthOverrides;
  /**
   * Root that relative config paths are resolved against.
   * @defaultValue the repository root
   */
  readonly projectRoot?: string;
}

export interface SynthResult {
  readonly env: string;
  /** Absolute path of the stack's Terraform JSON. */
  readonly tfJsonPath: string;
  /** Absolute path of the claim CSR the stack's `file()` reads (it may not exist yet). */
  readonly claimCsrPath: string;
}

/**
 * Validates the chosen environments, builds one `FleetStack` each and writes them.
 * @throws Error naming the environment and field when a configuration is invalid, or an unknown
 *   environment name
 */
export function synthEnvironments(options: SynthOptions): SynthResult[] {
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const names = options.environments ?? environmentNames();
  if (names.length === 0)
    throw new Error('environments is empty; name at least one environment to synthesize');
  // Validate every environment before writing anything.
  const environments = names.map(name => parseEnvironment(name));
  const outdir = resolve(options.outdir);
  // cdktf's App creates only the last level of its outdir.
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir, skipValidation: false });
  const bundleCacheDir = resolve(
    projectRoot,
    options.overrides?.bundleCacheDir ?? join('.gen', 'provisioning-hook'),
  );
  const stacks = environments.map(
    env =>
      new FleetStack(app, env.name, env, {
        projectRoot,
        claimCsrPath: options.overrides?.claimCsrPath,
        bundleCacheDir,
        manageAccountSettings: options.overrides?.manageAccountSettings,
      }),
  );
  app.synth();
  return stacks.map(stack => ({
    env: stack.environment.name,
    tfJsonPath: join(outdir, 'stacks', stack.environment.name, 'cdk.tf.json'),
    claimCsrPath: stack.claimCsrPath,
  }));
}
