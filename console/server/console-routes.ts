/**
 * The console's JSON routes (the table in `console/shared/console-api.ts`):
 *
 *   GET  /api/connection                       presigned WebSocket URL + client id
 *   GET  /api/fleet?search&group&version&nextToken   one page of the fleet table
 *   GET  /api/fleet/facets                     groups and versions to filter by
 *   GET  /api/things/<thingName>               device page
 *   GET  /api/rollouts                         newest rollouts, stages, gate history
 *   POST /api/rollouts/<id>/(pause|resume|abort)   operator action, body `{ "reason"?: string }`
 *
 * Outputs: 200 JSON; errors `{ error }` with 400 (bad filter, name or body), 404 (no such route,
 * thing or rollout), 409 (the worker refused the action), 415 (a POST that is not JSON, which
 * also keeps other origins' plain form posts out), 502 (AWS or Redis answered an error), 504 (the
 * worker did not process the action in time).
 */
import type { IncomingMessage } from 'node:http';
import { OperatorActionTimeoutError } from '../../worker/rollout/operator-action';
import { OPERATOR_ACTION_NAMES, type OperatorActionName } from '../shared/console-api';
import { ConsoleRequestError, type ConsoleBackend } from './console-backend';
import { FleetFilterError } from './fleet-query';

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Request bodies are small (`{ reason }`); refuse more. */
const MAX_BODY_BYTES = 4096;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json'))
    throw new ConsoleRequestError(
      415,
      `POST body: expected Content-Type application/json, got "${type}"`,
    );
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ConsoleRequestError(400, `POST body: larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8') || '{}';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new ConsoleRequestError(400, `POST body: not JSON (${(error as Error).message})`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ConsoleRequestError(400, 'POST body: expected a JSON object');
  return body as Record<string, unknown>;
}

function errorResponse(error: unknown): ApiResponse {
  const e = error as Error & { $metadata?: { httpStatusCode?: number } };
  if (e instanceof ConsoleRequestError) return { status: e.status, body: { error: e.message } };
  if (e instanceof FleetFilterError) return { status: 400, body: { error: e.message } };
  if (e.name === 'ResourceNotFoundException')
    return { status: 404, body: { error: `${e.name}: ${e.message}` } };
  if (e instanceof OperatorActionTimeoutError) return { status: 504, body: { error: e.message } };
  return { status: 502, body: { error: `${e.name}: ${e.message}` } };
}

/** Answers an `/api/…` request; never throws. */
export async function handleApi(
  backend: ConsoleBackend,
  req: IncomingMessage,
  url: URL,
): Promise<ApiResponse> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  try {
    if (method === 'GET' && path === '/api/connection')
      return { status: 200, body: await backend.connection() };
    if (method === 'GET' && path === '/api/fleet') {
      const q = url.searchParams;
      const filter = {
        search: q.get('search') ?? undefined,
        group: q.get('group') || undefined,
        version: q.get('version') || undefined,
      };
      return { status: 200, body: await backend.fleet(filter, q.get('nextToken') || undefined) };
    }
    if (method === 'GET' && path === '/api/fleet/facets')
      return { status: 200, body: await backend.facets() };
    const thing = /^\/api\/things\/([^/]+)$/.exec(path);
    if (method === 'GET' && thing)
      return { status: 200, body: await backend.thing(decodeURIComponent(thing[1])) };
    if (method === 'GET' && path === '/api/rollouts')
      return { status: 200, body: await backend.rollouts() };
    const action = /^\/api\/rollouts\/([^/]+)\/([a-z]+)$/.exec(path);
    if (action) {
      if (method !== 'POST') throw new ConsoleRequestError(405, `${path}: use POST`);
      const name = action[2] as OperatorActionName;
      if (!OPERATOR_ACTION_NAMES.includes(name))
        throw new ConsoleRequestError(
          404,
          `${path}: no action "${name}" (expected ${OPERATOR_ACTION_NAMES.join(', ')})`,
        );
      const body = await readJson(req);
      if (
        body.reason !== undefined &&
        (typeof body.reason !== 'string' || body.reason.length > 500)
      )
        throw new ConsoleRequestError(
          400,
          'POST body: reason must be a string of at most 500 characters',
        );
      return {
        status: 200,
        body: await backend.operator(
          decodeURIComponent(action[1]),
          name,
          body.reason as string | undefined,
        ),
      };
    }
    throw new ConsoleRequestError(404, `no route ${method} ${path}`);
  } catch (error) {
    return errorResponse(error);
  }
}
