import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateTemplate, TerraformExpressionError, type ExpressionContext } from '../terraform/terraform-expression';

const refs: Record<string, unknown> = {
  'aws_iot_policy.claim': { name: 'fleet-claim', arn: 'arn:aws:iot:eu-west-1:000000000000:policy/fleet-claim' },
  'data.aws_region.r': { region: 'eu-west-1' },
};

function ctx(baseDir = tmpdir()): ExpressionContext {
  return {
    baseDir,
    where: 'test.attr',
    resolveReference: path => {
      const address = path[0] === 'data' ? path.slice(0, 3).join('.') : path.slice(0, 2).join('.');
      const rest = path.slice(path[0] === 'data' ? 3 : 2);
      let v = refs[address] as Record<string, unknown>;
      for (const k of rest) v = v[k] as Record<string, unknown>;
      return v;
    },
  };
}

describe('evaluateTemplate', () => {
  it('resolves references inside strings and keeps $${ as a literal ${ (IoT policy variables)', () => {
    const text = 'arn:aws:iot:${data.aws_region.r.region}:1:client/$${iot:Connection.Thing.ThingName}';
    expect(evaluateTemplate(text, ctx())).toBe('arn:aws:iot:eu-west-1:1:client/${iot:Connection.Thing.ThingName}');
  });

  it('returns the value itself for a string that is one interpolation', () => {
    expect(evaluateTemplate('${aws_iot_policy.claim.name}', ctx())).toBe('fleet-claim');
  });

  it('evaluates jsonencode of an HCL object as cdktf writes it', () => {
    const text = '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Resource" = aws_iot_policy.claim.arn, "n" = 3, "b" = true}]})}';
    expect(JSON.parse(evaluateTemplate(text, ctx()) as string)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Resource: 'arn:aws:iot:eu-west-1:000000000000:policy/fleet-claim', n: 3, b: true }],
    });
  });

  it('reads file() relative to the stack directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfexpr-'));
    writeFileSync(join(dir, 'claim.csr'), '-----BEGIN CERTIFICATE REQUEST-----\nabc\n');
    expect(evaluateTemplate('${file("claim.csr")}', ctx(dir))).toContain('BEGIN CERTIFICATE REQUEST');
  });

  it('refuses syntax outside the subset with the place it stopped', () => {
    expect(() => evaluateTemplate('${var.a == "x" ? 1 : 2}', ctx())).toThrow(TerraformExpressionError);
    expect(() => evaluateTemplate('${upperx("a")}', ctx())).toThrow(/function upperx\(\) is not supported/);
    expect(() => evaluateTemplate('%{ if true }x%{ endif }', ctx())).toThrow(/template directives/);
  });
});
