/**
 * `fleet claim-cert`: makes the fleet's claim key and CSR locally (see infra/claim-csr.ts). The
 * stack reads the CSR at deploy time; the key stays with you and the factory.
 */
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';

export function registerClaimCertCommand(program: Command): void {
  program
    .command('claim-cert')
    .description(
      'Make the claim private key (EC P-256, file mode 0600) and its CSR for fleet provisioning. ' +
        'AWS IoT issues the claim certificate from the CSR when the stack is deployed, so the key never enters Terraform state.',
    )
    .option('--env <name>', 'environment whose claimCsrPath and thing name prefix to use', 'dev')
    .option(
      '--out <dir>',
      "directory for claim.key.pem and claim.csr.pem (default: the environment's claimCsrPath directory)",
    )
    .option(
      '--force',
      'replace an existing key and CSR (devices flashed with the old key can no longer provision)',
      false,
    )
    .action(async (options: { env: string; out?: string; force: boolean }, command: Command) => {
      const [{ parseEnvironment }, { PROJECT_ROOT }, { createClaimCsr }] = await Promise.all([
        import('../../infra/environments'),
        import('../../infra/synth'),
        import('../../infra/claim-csr'),
      ]);
      try {
        const env = parseEnvironment(options.env);
        const expectedCsr = resolve(PROJECT_ROOT, env.claimCsrPath);
        const outDir = resolve(options.out ?? dirname(expectedCsr));
        const files = await createClaimCsr({
          outDir,
          commonName: `${env.thingNamePrefix}-claim`,
          force: options.force,
        });
        console.log(
          `claim-cert: key ${relative(process.cwd(), files.keyPath)} (mode 0600, keep it secret)`,
        );
        console.log(`claim-cert: CSR ${relative(process.cwd(), files.csrPath)}`);
        if (resolve(files.csrPath) !== expectedCsr) {
          console.log(
            `claim-cert: note: environment ${env.name} deploys the CSR at ${env.claimCsrPath}, not this one`,
          );
        }
      } catch (error) {
        command.error(`claim-cert: ${(error as Error).message}`, { exitCode: 1 });
      }
    });
}
