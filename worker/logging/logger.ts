/**
 * Structured JSON logs (pino). One root logger per process; each module takes a child named after
 * it (`worker:build`), and each job a child with its release and rollout ids, so every line of a
 * rollout can be found with one filter (docs/style.md §8).
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The root logger: JSON lines on stdout, level from `FLEET_LOG_LEVEL` (default `info`). */
export function createRootLogger(level = process.env.FLEET_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A module's logger: `moduleLogger(root, 'worker:build')`. */
export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ module });
}
