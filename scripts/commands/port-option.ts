/**
 * A TCP port given on the command line: an integer from 0 (any free port) to 65535. Throws
 * commander's `InvalidArgumentError`, so as an option's parser commander names the option in the
 * message; other callers print the message themselves.
 */
import { InvalidArgumentError } from 'commander';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535)
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got "${value}"`);
  return n;
}
