/**
 * Kinds of problem validation can report. Stable strings: tests, the CLI and the worker match
 * on them; the message is for people.
 */
export type ImageProblemCode =
  | 'truncated'
  | 'bad-magic'
  | 'bad-hash-appended-flag'
  | 'too-many-segments'
  | 'segment-past-end'
  | 'checksum-mismatch'
  | 'hash-mismatch'
  | 'unknown-chip'
  | 'wrong-chip'
  | 'not-an-application'
  | 'trailing-bytes'
  | 'signature-bad-crc'
  | 'signature-bad-version'
  | 'signature-digest-mismatch'
  | 'signature-sector-empty';

/** One problem found in an image: its byte offset in the file and a plain message. */
export interface ImageProblem {
  readonly code: ImageProblemCode;
  readonly offset: number;
  readonly message: string;
}

/** `0x1f` style hex for messages. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
