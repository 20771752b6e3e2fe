import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parsePort } from '../port-option';

describe('parsePort', () => {
  it.each([
    ['0', 0],
    ['8090', 8090],
    ['65535', 65535],
  ])('accepts %s', (text, port) => expect(parsePort(text)).toBe(port));

  it.each(['', ' ', '-1', '65536', '80.5', 'abc', '0x50'])('refuses "%s" naming it', text => {
    expect(() => parsePort(text)).toThrow(InvalidArgumentError);
    expect(() => parsePort(text)).toThrow(`expected a port from 0 to 65535, got "${text}"`);
  });
});
