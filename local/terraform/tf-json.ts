/**
 * The parts of a synthesized `cdk.tf.json` the local cloud reads: provider settings, data sources
 * and resources, each resource by `<type>.<name>` address. cdktf metadata keys (`//`) are dropped.
 *
 * @see https://developer.hashicorp.com/terraform/language/syntax/json
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One resource or data block: its address and raw (unevaluated) configuration. */
export interface TfBlock {
  readonly mode: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  /** `aws_iot_policy.x` or `data.aws_region.r` */
  readonly address: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** A loaded `cdk.tf.json`. */
export interface TfJson {
  readonly path: string;
  /** Directory relative `file()` paths are read from. */
  readonly baseDir: string;
  readonly providerRegion?: string;
  readonly blocks: ReadonlyMap<string, TfBlock>;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly locals: Readonly<Record<string, unknown>>;
}

function withoutMeta(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!k.startsWith('//')) out[k] = v;
  return out;
}

/**
 * Reads and indexes a `cdk.tf.json`.
 * @throws Error naming the file when it is not JSON or not an object
 */
export function readTfJson(path: string): TfJson {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot read Terraform JSON ${path}: ${(error as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new Error(`Terraform JSON ${path}: expected an object at the top level`);
  const blocks = new Map<string, TfBlock>();
  for (const mode of ['resource', 'data'] as const) {
    const byType = (doc[mode] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, byName] of Object.entries(byType)) {
      for (const [name, config] of Object.entries(byName)) {
        const address = mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
        blocks.set(address, { mode, type, name, address, config: withoutMeta(config) });
      }
    }
  }
  const providers = (doc.provider ?? {}) as Record<string, unknown>;
  const aws = providers.aws;
  const awsConfig = (Array.isArray(aws) ? aws[0] : aws) as Record<string, unknown> | undefined;
  const variables: Record<string, unknown> = {};
  for (const [name, v] of Object.entries((doc.variable ?? {}) as Record<string, Record<string, unknown>>)) variables[name] = v.default;
  return {
    path,
    baseDir: dirname(path),
    providerRegion: typeof awsConfig?.region === 'string' ? awsConfig.region : undefined,
    blocks,
    variables,
    locals: (doc.locals ?? {}) as Record<string, unknown>,
  };
}
