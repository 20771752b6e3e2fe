import type { AppImageInfo, ParseAppImageOptions } from './app-image-info';
import { AppImageParser } from './app-image-parser';

/**
 * Parses and validates an ESP32-family image held in memory, in named steps: header → segments
 * → checksum → hash → app descriptor → trailing signature sector. Never throws on bad input:
 * every problem found is listed in `problems` with its byte offset, and the parse goes as far as
 * the bytes allow.
 *
 * There is one parser: this is the streaming `AppImageParser` fed a single chunk, so a file read
 * in pieces and the same bytes in memory can never be judged differently.
 *
 * @example
 * const info = parseAppImage(bytes, { targetChip: 'esp32' });
 * if (info.problems.length > 0) throw new ImageInvalidError(info.problems);
 */
export function parseAppImage(bytes: Uint8Array, options: ParseAppImageOptions = {}): AppImageInfo {
  const parser = new AppImageParser(options);
  parser.push(bytes);
  return parser.finish();
}
