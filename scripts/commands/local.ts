/**
 * `fleet local up`: runs the local cloud (see local/local-cloud.ts) in the foreground until
 * SIGINT/SIGTERM, then shuts down cleanly (connections closed, registry saved).
 */
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { parsePort } from './port-option';

interface UpOptions {
  env: string;
  stateDir: string;
  mqttPort: string;
  wsPort?: string;
  tfJson?: string;
  services: boolean;
  verbose: boolean;
}

function humanLog(verbose: boolean) {
  const line = (level: string, obj: object, msg?: string): void => {
    const fields = Object.entries(obj)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : JSON.stringify(v)}`)
      .join(' ');
    console.error(`local ${level}: ${msg ?? ''}${fields ? `  (${fields})` : ''}`);
  };
  return {
    info: (obj: object, msg?: string) => line('info', obj, msg),
    warn: (obj: object, msg?: string) => line('warn', obj, msg),
    error: (obj: object, msg?: string) => line('error', obj, msg),
    debug: (obj: object, msg?: string) => (verbose ? line('debug', obj, msg) : undefined),
  };
}

export function registerLocalCommand(program: Command): void {
  const local = program
    .command('local')
    .description('The local cloud: the AWS side of the platform (IoT broker, fleet provisioning, ...) on this machine.');

  local
    .command('up')
    .description(
      'Synthesize the environment (with a claim CSR made in the state dir), apply it to the local cloud, and serve ' +
        'MQTT over mutual TLS on 127.0.0.1 until Ctrl-C. Writes <state-dir>/local-cloud.json with the endpoints, ' +
        'credentials, CA file, claim certificate and provisioning template that clients and devices use. ' +
        'State (CA, registry, certificates) persists in the state dir across restarts.',
    )
    .option('--env <name>', 'environment to synthesize and apply (infra/environments.ts)', 'dev')
    .option('--state-dir <dir>', 'directory for the local cloud state and local-cloud.json', '.fleet/local')
    .option('--mqtt-port <port>', 'MQTT/TLS port on 127.0.0.1 (0 picks a free one; 1883 is left to Mosquitto)', '8883')
    .option('--ws-port <port>', 'MQTT over WebSockets (SigV4-signed URLs; wss, and ws from loopback) on 127.0.0.1 (0 picks a free one; default 8443, or a free one when --mqtt-port is 0)')
    .option('--tf-json <path>', 'apply this cdk.tf.json instead of synthesizing --env (its claim certificate must come from <state-dir>/claim/claim.csr.pem)')
    .option('--no-services', 'serve only MQTT and fleet provisioning (skip the HTTP services: S3, KMS, IoT control plane, ...)')
    .option('--verbose', 'also print client errors, failed TLS handshakes and pre-provisioning hook decisions (policy denials are always printed)', false)
    .action(async (options: UpOptions, command: Command) => {
      const portOption = (name: string, value: string): number => {
        try {
          return parsePort(value);
        } catch (error) {
          return command.error(`local up: ${name}: ${(error as Error).message}`, { exitCode: 2 });
        }
      };
      const port = portOption('--mqtt-port', options.mqttPort);
      const wsPort = options.wsPort === undefined ? undefined : portOption('--ws-port', options.wsPort);
      const log = humanLog(options.verbose);
      console.error(`local up: preparing ${options.stateDir} and applying environment ${options.env} ...`);
      const [{ startLocalCloud }, { defaultLocalServices }] = await Promise.all([import('../../local/local-cloud'), import('../../local/default-services')]);
      let cloud;
      try {
        cloud = await startLocalCloud({
          env: options.env,
          stateDir: options.stateDir,
          mqttPort: port,
          webSocketPort: wsPort,
          tfJsonPath: options.tfJson,
          services: options.services ? await defaultLocalServices() : [],
          log,
        });
      } catch (error) {
        command.error(`local up: ${(error as Error).message}`, { exitCode: 1 });
        return;
      }
      const c = cloud.config;
      // Paths below the working directory are shown relative to it; others stay absolute.
      const rel = (p: string): string => {
        const r = relative(process.cwd(), p);
        return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
      };
      console.log(`local cloud is up (environment ${options.env}, region ${c.region}, account ${c.accountId})`);
      console.log(`  MQTT/TLS     mqtts://${c.mqtt.host}:${c.mqtt.port}  (server name ${c.mqtt.serverName}, CA ${rel(c.mqtt.caFile)})`);
      if (c.console) console.log(`  console      access key ${c.console.credentials.accessKeyId} (IoT policy ${c.console.policyName})`);
      console.log(`  provisioning template ${c.provisioningTemplate ?? '(none in the stack)'}`);
      if (c.claim) console.log(`  claim        cert ${rel(c.claim.certFile)}, key ${rel(c.claim.keyFile)}`);
      for (const [name, url] of Object.entries(c.endpoints)) console.log(`  ${name.padEnd(12)} ${url ?? '(not served yet)'}`);
      console.log(`  discovery    ${rel(cloud.configPath)}`);
      console.log('Press Ctrl-C to stop.');

      await new Promise<void>(resolve => {
        const stop = (signal: string): void => {
          console.error(`local up: ${signal} received, shutting down ...`);
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await cloud.close();
      console.error('local up: stopped; state saved in ' + rel(options.stateDir));
    });
}
