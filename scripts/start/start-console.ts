/**
 * The web console beside `npm start`'s rollout: served from the local cloud's `local-cloud.json`
 * with the demo's Redis and queue prefix, so its rollout page shows this rollout. When the port
 * is taken (another console runs), it takes any free port instead of failing the demo.
 */
import { loadConsoleConfig } from '../../console/server/load-console-config';
import { startConsoleServer, type ConsoleServer } from '../../console/server/console-server';

export interface StartDemoConsoleOptions {
  readonly configPath: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly port: number;
  readonly host?: string;
}

export async function startDemoConsole(options: StartDemoConsoleOptions): Promise<ConsoleServer> {
  const config = loadConsoleConfig({
    configFile: options.configPath,
    environment: {
      ...process.env,
      REDIS_URL: options.redisUrl,
      FLEET_QUEUE_PREFIX: options.queuePrefix,
    },
  });
  try {
    return await startConsoleServer({ config, port: options.port, host: options.host });
  } catch (error) {
    if (!/is in use/.test((error as Error).message) || options.port === 0) throw error;
    return startConsoleServer({ config, port: 0, host: options.host });
  }
}
