/**
 * `fleet console`: the operator's web console (`console/`), served on 127.0.0.1:8090 by default.
 * The page connects to the broker over MQTT/WebSockets with a URL the server presigns; the server
 * reads the fleet index, shadows and jobs through the AWS SDK, and sends pause/resume/abort
 * through the worker's queues (Redis from REDIS_URL, prefix FLEET_QUEUE_PREFIX).
 *
 * Exit codes: 0 after Ctrl-C; 2 when it cannot start (configuration, port in use).
 */
import type { Command } from 'commander';
import { parsePort } from './port-option';

export function registerConsoleCommand(program: Command): void {
  program
    .command('console')
    .description(
      'Serve the web console: fleet, rollouts (pause/resume/abort), live topics and device pages, against the local cloud or AWS. ' +
        'Local cloud: --config, else FLEET_LOCAL_CLOUD, else .fleet/local/local-cloud.json; AWS: AWS_REGION and the default credential chain ' +
        '(FLEET_MQTT_WS_URL overrides the WebSocket endpoint). Rollouts: REDIS_URL, FLEET_QUEUE_PREFIX.',
    )
    .option('--config <local-cloud.json>', "the local cloud's discovery file")
    .option('--port <n>', 'HTTP port (0: any free one)', parsePort, 8090)
    .option(
      '--host <address>',
      'interface to listen on (the routes can pause and abort rollouts: keep it on loopback)',
      '127.0.0.1',
    )
    .action(async (options: { config?: string; port: number; host: string }, command: Command) => {
      const [{ loadConsoleConfig }, { startConsoleServer }] = await Promise.all([
        import('../../console/server/load-console-config'),
        import('../../console/server/console-server'),
      ]);
      let server;
      try {
        const config = loadConsoleConfig({ configFile: options.config });
        server = await startConsoleServer({ config, port: options.port, host: options.host });
        const bundle = await server.ready;
        console.log(
          `console: ${server.url}  (${config.source}; page bundled in ${bundle.buildMs} ms; Ctrl-C stops)`,
        );
      } catch (error) {
        await server?.close();
        command.error(`fleet console: ${(error as Error).message}`, { exitCode: 2 });
        return;
      }
      await new Promise<void>(resolve => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
      process.exit(0);
    });
}
