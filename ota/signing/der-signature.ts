/**
 * ECDSA signatures in ASN.1 DER (`Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`,
 * RFC 3279 §2.2.3): the form KMS `Sign` returns for ECDSA keys and the form of the detached
 * `sig-sha256-ecdsa` signature. Only the short forms P-256 needs (lengths below 128).
 */
import { SignatureInvalidError } from '../errors/signature-invalid-error';
import { bigIntToBytes, bytesToBigInt, type EcdsaSignature } from './ecdsa-p256';

function derInteger(value: bigint): Buffer {
  let bytes = bigIntToBytes(value, Math.max(1, Math.ceil(value.toString(16).length / 2)));
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** DER-encodes (r, s). */
export function encodeDerSignature({ r, s }: EcdsaSignature): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** Decodes a DER ECDSA signature; throws `SignatureInvalidError` naming the bad byte. */
export function decodeDerSignature(der: Uint8Array): EcdsaSignature {
  const fail = (offset: number, what: string): never => {
    throw new SignatureInvalidError(`malformed DER ECDSA signature at byte ${offset}: ${what}`, {
      offset,
    });
  };
  if (der[0] !== 0x30) fail(0, 'expected SEQUENCE (0x30)');
  if (der[1] !== der.length - 2)
    fail(1, `SEQUENCE length ${der[1]} does not match ${der.length - 2} bytes`);
  let pos = 2;
  const readInt = (): bigint => {
    if (der[pos] !== 0x02) fail(pos, 'expected INTEGER (0x02)');
    const len = der[pos + 1];
    if (len === undefined || len === 0 || len > 33 || pos + 2 + len > der.length)
      fail(pos + 1, `bad INTEGER length ${len}`);
    const value = bytesToBigInt(der.subarray(pos + 2, pos + 2 + len));
    pos += 2 + len;
    return value;
  };
  const r = readInt();
  const s = readInt();
  if (pos !== der.length) fail(pos, 'trailing bytes');
  return { r, s };
}
