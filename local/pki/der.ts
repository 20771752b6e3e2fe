/**
 * Just enough DER (ITU-T X.690) to read a PKCS#10 request and an X.509 certificate and to write a
 * TBSCertificate: tag-length-value reading with bounds checks, and encoders for the few types a
 * device certificate needs. @peculiar/x509 does all of this generically, but at ~7 ms per
 * certificate (ASN.1 schema objects in JavaScript) it capped provisioning at about 140 devices/s;
 * these byte-level helpers plus node:crypto sign one in well under a millisecond.
 */

/** One TLV element: its tag, and where its header and content lie in the buffer. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Reads the element at `offset`; throws naming the offset when it does not fit in `buf`. */
export function readElement(buf: Uint8Array, offset: number): DerElement {
  if (offset + 2 > buf.length) throw new Error(`DER: truncated element header at offset ${offset}`);
  const tag = buf[offset];
  let length = buf[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > buf.length) throw new Error(`DER: unsupported length form at offset ${offset + 1}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buf.length) throw new Error(`DER: element at offset ${offset} declares ${length} bytes, only ${buf.length - contentStart} remain`);
  return { tag, start: offset, contentStart, end };
}

/** The child elements of a constructed element. */
export function children(buf: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElement(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Decodes an OBJECT IDENTIFIER element to dotted form. */
export function decodeOid(buf: Uint8Array, el: DerElement): string {
  if (el.tag !== 0x06) throw new Error(`DER: expected an OBJECT IDENTIFIER at offset ${el.start}, found tag 0x${el.tag.toString(16)}`);
  const parts: number[] = [];
  let value = 0;
  for (let i = el.contentStart; i < el.end; i++) {
    value = value * 128 + (buf[i] & 0x7f);
    if (!(buf[i] & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** Encodes one element from its tag and content parts. */
export function encode(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body]);
}

export const seq = (...content: Uint8Array[]): Buffer => encode(0x30, ...content);

/** OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return encode(0x06, Buffer.from(bytes));
}

/** UTCTime (years 1950–2049, as X.509 requires for those years). */
export function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2049-12-31T23:59:59.000Z
  const text = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
  return encode(0x17, Buffer.from(text, 'ascii'));
}

/** A positive INTEGER from big-endian magnitude bytes. */
export function positiveInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return encode(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}
