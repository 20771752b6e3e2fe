import { describe, expect, test } from 'vitest';
import { ENVIRONMENTS, environmentNames, parseEnvironment } from '../environments';

function withChange(path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(ENVIRONMENTS.dev) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

describe('environments', () => {
  test('declares at least dev and prod', () => {
    expect(environmentNames()).toEqual(expect.arrayContaining(['dev', 'prod']));
  });

  test.each(environmentNames())('%s validates and gets defaults', name => {
    const env = parseEnvironment(name);
    expect(env.name).toBe(name);
    expect(env.telemetryTopicPrefix).toBe('fleet/telemetry');
    expect(new RegExp(env.serialPattern).test('24A160ABCDEF')).toBe(true);
  });

  test('refuses an unknown environment, listing the known ones', () => {
    expect(() => parseEnvironment('staging')).toThrow(
      /unknown environment "staging"; configured: dev, prod/,
    );
  });

  test.each([
    [['region'], 'eu-west', /environment "dev": region: must be an AWS region/],
    [['rollout', 'maximumPerMinute'], 5000, /environment "dev": rollout\.maximumPerMinute: /],
    [
      ['rollout', 'abortThresholdPercentage'],
      10.555,
      /rollout\.abortThresholdPercentage: at most two digits/,
    ],
    [['serialPattern'], '[0-9]+', /serialPattern: must be anchored/],
    [['serialPattern'], '^([0-9]$', /serialPattern: is not a valid regular expression/],
    [['signing', 'secureBootKeySpec'], 'RSA_2048', /signing\.secureBootKeySpec: /],
    [['domainName'], 'Not A Domain', /domainName: must be a lowercase DNS name/],
    [['hostedZoneId'], 'zone-1', /hostedZoneId: must be a Route53 hosted zone id/],
    [['thingNamePrefix'], 'bad prefix!', /thingNamePrefix: must be 1-48 characters/],
    [['rollout', 'stages'], ['canary', 'canary'], /rollout\.stages: stage names must be unique/],
    [['name'], 'Dev', /environment "dev": name: must be 2-12 characters/],
  ])('a bad %j names the environment and the field', (path, value, message) => {
    expect(() => parseEnvironment('dev', withChange(path as string[], value))).toThrow(message);
  });

  test('refuses unknown fields (a typo is not silently ignored)', () => {
    expect(() => parseEnvironment('dev', { ...ENVIRONMENTS.dev, regoin: 'eu-west-1' })).toThrow(
      /environment "dev": \(root\): .*regoin/,
    );
  });

  test('refuses a name that differs from its key', () => {
    expect(() => parseEnvironment('dev', ENVIRONMENTS.prod)).toThrow(
      /environment "dev": name: must equal its key "dev", got "prod"/,
    );
  });
});
