/**
 * `fleet`: the platform's command line. Each command family lives in `scripts/commands/<name>.ts`
 * and registers itself here; heavy modules (cdktf, AWS SDK, BullMQ) are imported inside the
 * actions, so `fleet image inspect` does not pay for loading the CDKTF provider.
 */
import { Command } from 'commander';
import { registerClaimCertCommand } from './commands/claim-cert';
import { registerConsoleCommand } from './commands/console';
import { registerImageCommand } from './commands/image';
import { registerLocalCommand } from './commands/local';
import { registerReleaseCommand } from './commands/release';
import { registerRolloutCommand } from './commands/rollout';
import { registerSimCommand } from './commands/sim';
import { registerWorkerCommand } from './commands/worker';

// The AWS SDK warns, mid-output, that its releases after January 2027 need Node >= 22; the lock
// file pins versions that run on Node 20, and the README says so. Keep our output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command()
  .name('fleet')
  .description('Run a fleet of ESP32 devices on AWS IoT (or on the local cloud).')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ sortSubcommands: true });

// Command families register here (one line each):
registerClaimCertCommand(program);
registerConsoleCommand(program);
registerImageCommand(program);
registerLocalCommand(program);
registerReleaseCommand(program);
registerRolloutCommand(program);
registerSimCommand(program);
registerWorkerCommand(program);

await program.parseAsync(process.argv);
