/**
 * Test helper: synthesizes every environment once into a temporary directory and hands out the
 * parsed `cdk.tf.json` of each, with lookups the tests share. The claim CSR path points at a file
 * that does not exist, as on a fresh clone: synth must not need it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { synthEnvironments, type SynthResult } from '../synth';
import { parsePolicyText, type ParsedPolicy } from '../rules/policy-json';
import { resourcesOf, type SynthesizedResource } from '../rules/rule';

export interface StackJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown }>;
  readonly terraform: Record<string, unknown>;
  readonly provider: Record<string, unknown[]>;
}

export interface SynthesizedStacks {
  readonly outdir: string;
  readonly results: SynthResult[];
  readonly stacks: Record<string, StackJson>;
  readonly texts: Record<string, string>;
  cleanup(): void;
}

export function synthesizeAll(claimCsrPath = '/nonexistent/claim.csr.pem'): SynthesizedStacks {
  const outdir = mkdtempSync(join(tmpdir(), 'fleet-synth-'));
  const results = synthEnvironments({ outdir, overrides: { claimCsrPath } });
  const stacks: Record<string, StackJson> = {};
  const texts: Record<string, string> = {};
  for (const result of results) {
    texts[result.env] = readFileSync(result.tfJsonPath, 'utf8');
    stacks[result.env] = JSON.parse(texts[result.env]) as StackJson;
  }
  return {
    outdir,
    results,
    stacks,
    texts,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Resources of one type, by name. */
export function resourcesOfType(stack: StackJson, type: string): SynthesizedResource[] {
  return resourcesOf(stack).filter(resource => resource.type === type);
}

/** The one resource of a type whose `name`-like attribute ends with `suffix`. */
export function resourceNamed(
  stack: StackJson,
  type: string,
  attribute: string,
  suffix: string,
): SynthesizedResource {
  const found = resourcesOfType(stack, type).filter(resource =>
    String(resource.body[attribute]).endsWith(suffix),
  );
  if (found.length !== 1)
    throw new Error(
      `expected one ${type} with ${attribute} ending ${suffix}, found ${found.length}`,
    );
  return found[0];
}

/** Parses a policy attribute, failing the test on bad JSON. */
export function policyOf(resource: SynthesizedResource, attribute = 'policy'): ParsedPolicy {
  const policy = parsePolicyText(resource.body[attribute]);
  if (policy instanceof Error) throw policy;
  return policy;
}

/** Sample values for the data sources, as the local cloud would answer them. */
export const SAMPLE_ACCOUNT = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '123456789012',
} as const;

/** Replaces the account context's data-source references with sample values. */
export function resolveAccountReferences(text: string): string {
  return text
    .replace(/\$\{data\.aws_partition\.[A-Za-z0-9_]+\.partition\}/g, SAMPLE_ACCOUNT.partition)
    .replace(/\$\{data\.aws_region\.[A-Za-z0-9_]+\.region\}/g, SAMPLE_ACCOUNT.region)
    .replace(
      /\$\{data\.aws_caller_identity\.[A-Za-z0-9_]+\.account_id\}/g,
      SAMPLE_ACCOUNT.accountId,
    );
}

/** The single resource of `type` in `stack` (fails the test when there are none or several). */
export function only(stack: StackJson, type: string) {
  const found = resourcesOfType(stack, type);
  expect(found, type).toHaveLength(1);
  return found[0];
}
