/**
 * Device shadow documents, pure: validation of an update request, the merge, metadata timestamps,
 * the delta, and the payloads AWS publishes. From the AWS IoT developer guide:
 * - documents: https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-document.html
 *   (`state.desired|reported|delta`, `metadata` with a `timestamp` per leaf, `version`,
 *   `clientToken`, `timestamp` in epoch seconds; a `null` removes a property, `desired: null`
 *   removes the section; arrays are replaced as a whole);
 * - messages: https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-mqtt.html
 *   (`/update/accepted`, `/update/delta`, `/update/documents` with `previous` and `current`);
 * - errors: https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-error-messages.html
 *   (400 invalid JSON / missing state / bad nodes / nesting, 404, 409 version conflict, 413);
 * - limits: https://docs.aws.amazon.com/general/latest/gr/iot-core.html#device-shadow-limits
 *   (state document 8 KB without metadata, depth 6 within desired or reported, clientToken 64 bytes).
 */

/** "Maximum size of a JSON state document: 8 KB" (metadata excluded). */
export const MAX_SHADOW_STATE_BYTES = 8 * 1024;
/** "Maximum depth of JSON device state documents: 6" (levels inside desired or reported). */
export const MAX_SHADOW_DEPTH = 6;
/** "Maximum number of bytes in a client token: 64". */
export const MAX_CLIENT_TOKEN_BYTES = 64;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** A shadow as stored. Times in epoch seconds, as on the wire. */
export interface ShadowRecord {
  state: { desired?: JsonObject; reported?: JsonObject };
  metadata: { desired?: JsonObject; reported?: JsonObject };
  version: number;
  /** True once deleted: the version is kept so that a new shadow continues it (device-shadow-data-flow.html). */
  deleted?: boolean;
}

/** A refused shadow request: the shadow error payload's `code` and `message`. */
export class ShadowError extends Error {
  override readonly name = 'ShadowError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function depthOf(value: Json): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (isObject(value)) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** A validated update request. */
export interface ShadowUpdateRequest {
  readonly desired?: JsonObject | null;
  readonly reported?: JsonObject | null;
  readonly version?: number;
  readonly clientToken?: string;
}

/** Parses the client token of any shadow request (or throws a 400). */
export function parseClientToken(body: Record<string, unknown>): string | undefined {
  const token = body.clientToken;
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || Buffer.byteLength(token) > MAX_CLIENT_TOKEN_BYTES)
    throw new ShadowError(
      400,
      `Invalid clientToken: expected a string of at most ${MAX_CLIENT_TOKEN_BYTES} bytes`,
    );
  return token;
}

/** Parses request bytes as a JSON object (empty payload = `{}`), or throws 400 "Invalid JSON". */
export function parseShadowPayload(payload: Uint8Array): Record<string, unknown> {
  if (payload.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new ShadowError(400, 'Invalid JSON');
  }
  if (!isObject(parsed)) throw new ShadowError(400, 'Invalid JSON');
  return parsed;
}

/** Validates an update body as the shadow service does. */
export function parseShadowUpdate(body: Record<string, unknown>): ShadowUpdateRequest {
  const clientToken = parseClientToken(body);
  if (!('state' in body)) throw new ShadowError(400, 'Missing required node: state');
  const state = body.state;
  if (!isObject(state)) throw new ShadowError(400, 'State node must be an object');
  for (const key of Object.keys(state))
    if (key !== 'desired' && key !== 'reported')
      throw new ShadowError(400, `State contains an invalid node: '${key}'`);
  for (const section of ['desired', 'reported'] as const) {
    const value = state[section];
    if (value !== undefined && value !== null && !isObject(value))
      throw new ShadowError(
        400,
        `${section === 'desired' ? 'Desired' : 'Reported'} node must be an object`,
      );
    if (isObject(value) && depthOf(value) > MAX_SHADOW_DEPTH)
      throw new ShadowError(
        400,
        `JSON contains too many levels of nesting; maximum is ${MAX_SHADOW_DEPTH}`,
      );
  }
  const version = body.version;
  if (
    version !== undefined &&
    (typeof version !== 'number' || !Number.isInteger(version) || version < 0)
  )
    throw new ShadowError(400, 'Invalid version');
  return {
    desired: state.desired as JsonObject | null | undefined,
    reported: state.reported as JsonObject | null | undefined,
    version: version as number | undefined,
    clientToken,
  };
}

/** Merges `patch` into `target` (null deletes), and the same shape of timestamps into `meta`. */
function merge(target: JsonObject, meta: JsonObject, patch: JsonObject, ts: number): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
      delete meta[key];
    } else if (isObject(value)) {
      if (!isObject(target[key])) {
        target[key] = {};
        meta[key] = {};
      }
      if (!isObject(meta[key])) meta[key] = {};
      merge(target[key] as JsonObject, meta[key] as JsonObject, value, ts);
      if (Object.keys(target[key] as JsonObject).length === 0) {
        delete target[key];
        delete meta[key];
      }
    } else {
      target[key] = structuredClone(value);
      meta[key] = metadataFor(value, ts);
    }
  }
}

/** Metadata mirrors the value: a timestamp per leaf, per element for arrays. */
function metadataFor(value: Json, ts: number): Json {
  if (Array.isArray(value)) return value.map(v => metadataFor(v, ts));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, metadataFor(v, ts)]));
  return { timestamp: ts };
}

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  return (
    JSON.stringify(a) === JSON.stringify(b) &&
    (isObject(a) ? Object.keys(a).length === Object.keys(b as JsonObject).length : true)
  );
}

/** desired properties that differ from reported (objects compared per key, arrays whole). */
export function shadowDelta(
  desired: JsonObject | undefined,
  reported: JsonObject | undefined,
): JsonObject | undefined {
  if (!desired) return undefined;
  const out: JsonObject = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = reported?.[key];
    if (isObject(want) && isObject(have)) {
      const sub = shadowDelta(want, have);
      if (sub) out[key] = sub;
    } else if (!deepEqual(want, have)) out[key] = structuredClone(want);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The metadata of the delta's properties (taken from desired's metadata). */
function deltaMetadata(delta: JsonObject, meta: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(delta)) {
    const m = meta?.[key];
    out[key] = isObject(value) && isObject(m) ? deltaMetadata(value, m) : (m ?? null);
  }
  return out;
}

/** What an accepted update produces: the new record and the payloads to publish. */
export interface ShadowUpdateResult {
  readonly record: ShadowRecord;
  readonly accepted: Record<string, unknown>;
  readonly delta?: Record<string, unknown>;
  readonly documents: Record<string, unknown>;
}

function stateView(record: ShadowRecord | undefined): Record<string, unknown> {
  if (!record || record.deleted) return { state: {}, metadata: {}, version: record?.version ?? 0 };
  return {
    state: structuredClone(record.state),
    metadata: structuredClone(record.metadata),
    version: record.version,
  };
}

/** Applies a validated update at `nowSeconds` (throws 409 on a version conflict, 413 when too big). */
export function applyShadowUpdate(
  current: ShadowRecord | undefined,
  update: ShadowUpdateRequest,
  nowSeconds: number,
): ShadowUpdateResult {
  const live = current && !current.deleted ? current : undefined;
  const currentVersion = current?.version ?? 0;
  if (update.version !== undefined && update.version !== currentVersion)
    throw new ShadowError(409, 'Version conflict');
  const record: ShadowRecord = live
    ? structuredClone(live)
    : { state: {}, metadata: {}, version: currentVersion };
  delete record.deleted;
  for (const section of ['desired', 'reported'] as const) {
    const patch = update[section];
    if (patch === null) {
      delete record.state[section];
      delete record.metadata[section];
    } else if (patch !== undefined) {
      const target = (record.state[section] ??= {});
      const meta = (record.metadata[section] ??= {});
      merge(target, meta, patch, nowSeconds);
      if (Object.keys(target).length === 0) {
        delete record.state[section];
        delete record.metadata[section];
      }
    }
  }
  const size = Buffer.byteLength(JSON.stringify(record.state));
  if (size > MAX_SHADOW_STATE_BYTES)
    throw new ShadowError(413, 'The payload exceeds the maximum size allowed');
  record.version = currentVersion + 1;
  const token = update.clientToken === undefined ? {} : { clientToken: update.clientToken };
  // /update/accepted echoes the sections of the request with their new metadata.
  const acceptedState: Record<string, unknown> = {};
  const acceptedMeta: Record<string, unknown> = {};
  for (const section of ['desired', 'reported'] as const) {
    const patch = update[section];
    if (patch === undefined) continue;
    acceptedState[section] = patch;
    acceptedMeta[section] = patch === null ? null : metadataFor(patch, nowSeconds);
  }
  const accepted = {
    state: acceptedState,
    metadata: acceptedMeta,
    version: record.version,
    timestamp: nowSeconds,
    ...token,
  };
  const delta = shadowDelta(record.state.desired, record.state.reported);
  return {
    record,
    accepted,
    delta: delta
      ? {
          version: record.version,
          timestamp: nowSeconds,
          state: delta,
          metadata: deltaMetadata(delta, record.metadata.desired),
          ...token,
        }
      : undefined,
    documents: {
      previous: live ? stateView(live) : null,
      current: stateView(record),
      timestamp: nowSeconds,
      ...token,
    },
  };
}

/** The /get/accepted payload (and GetThingShadow body): state with delta, metadata, version. */
export function shadowGetResponse(
  record: ShadowRecord | undefined,
  thingLabel: string,
  nowSeconds: number,
  clientToken?: string,
): Record<string, unknown> {
  if (!record || record.deleted)
    throw new ShadowError(404, `No shadow exists with name: '${thingLabel}'`);
  const delta = shadowDelta(record.state.desired, record.state.reported);
  return {
    state: { ...structuredClone(record.state), ...(delta ? { delta } : {}) },
    metadata: structuredClone(record.metadata),
    version: record.version,
    timestamp: nowSeconds,
    ...(clientToken === undefined ? {} : { clientToken }),
  };
}

/** The tombstone after a delete (version kept) and the /delete/accepted payload. */
export function deleteShadow(
  record: ShadowRecord | undefined,
  thingLabel: string,
  nowSeconds: number,
  clientToken?: string,
): { record: ShadowRecord; accepted: Record<string, unknown> } {
  if (!record || record.deleted)
    throw new ShadowError(404, `No shadow exists with name: '${thingLabel}'`);
  return {
    record: { state: {}, metadata: {}, version: record.version, deleted: true },
    accepted: {
      version: record.version,
      timestamp: nowSeconds,
      ...(clientToken === undefined ? {} : { clientToken }),
    },
  };
}
