/**
 * `npm run synth [-- <env>...]`: synthesizes every environment (or those named) into
 * `cdktf.out/stacks/<env>/cdk.tf.json` and says what it wrote.
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { PROJECT_ROOT, synthEnvironments } from '../infra/synth';

const started = performance.now();
const wanted = process.argv.slice(2);
try {
  const results = synthEnvironments({
    outdir: `${PROJECT_ROOT}/cdktf.out`,
    environments: wanted.length > 0 ? wanted : undefined,
  });
  for (const result of results) {
    const csr = relative(process.cwd(), result.claimCsrPath);
    const note = existsSync(result.claimCsrPath)
      ? ''
      : ` (missing: run \`npm run fleet -- claim-cert --env ${result.env}\` before deploying)`;
    console.log(
      `synth: ${result.env} -> ${relative(process.cwd(), result.tfJsonPath)}; claim CSR ${csr}${note}`,
    );
  }
  console.log(
    `synth: ${results.length} environment(s) in ${Math.round(performance.now() - started)} ms`,
  );
} catch (error) {
  console.error(`synth failed: ${(error as Error).message}`);
  process.exit(1);
}
