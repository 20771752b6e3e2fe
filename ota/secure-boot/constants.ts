/**
 * Secure Boot V2 signature sector and block layout, in one place.
 *
 * Sources, cited per value:
 * - [doc] `shared/docs/esp32-image.md`, "Secure Boot V2 signature sector"
 * - [espsecure] esptool `espsecure/__init__.py` (`SECTOR_SIZE`, `SIG_BLOCK_SIZE`, `SIG_BLOCK_MAGIC`,
 *   `SIG_BLOCK_VERSION_*`, `ECDSA_SHA_*`, `CURVE_ID_*`, `generate_rsa_signature_block`,
 *   `generate_ecdsa_signature_block`, `signature_info_v2`)
 * - [idf] ESP-IDF `docs/en/security/secure-boot-v2.rst` and the ROM `secure_boot.h`
 *   (`ets_secure_boot_sig_block_t`, `ets_secure_boot_signature_t`)
 */

/** [doc] the signed content is padded to a 4 KB boundary; [espsecure] `SECTOR_SIZE`. */
export const SECTOR_SIZE = 4096;
/** [doc] "1216-byte signature blocks"; [espsecure] `SIG_BLOCK_SIZE`. */
export const BLOCK_SIZE = 1216;
/** [doc] "up to three"; [espsecure] `SIG_BLOCK_MAX_COUNT`. */
export const MAX_BLOCKS = 3;
/** [doc] byte 0 magic; [espsecure] `SIG_BLOCK_MAGIC`. */
export const BLOCK_MAGIC = 0xe7;
/** [espsecure] `SIG_BLOCK_VERSION_RSA`; [doc] "RSA-3072 block (version 0x02)". */
export const VERSION_RSA = 0x02;
/** [espsecure] `SIG_BLOCK_VERSION_ECDSA`; [doc] "ECDSA block (version 0x03)". */
export const VERSION_ECDSA = 0x03;
/** [doc] "CRC32 (zlib/IEEE) of bytes 0..1195 stored at 1196". */
export const CRC_OFFSET = 1196;
/** [doc] "16 zero bytes at 1200..1215". */
export const ZERO_PAD_OFFSET = 1200;
/** Byte that fills the padding before the sector and the sector after its blocks ([doc]). */
export const FILL_BYTE = 0xff;

/** [doc] table "RSA-3072 block"; [espsecure] `struct.pack("<BBxx32s384sI384sI384s")`. */
export const RsaBlockOffset = {
  digest: 4,
  modulus: 36,
  exponent: 420,
  rinv: 424,
  mdash: 808,
  signature: 812,
} as const;
/** RSA-3072: 384-byte modulus, R and signature ([doc]). */
export const RSA_BYTES = 384;
/** RSA key size Secure Boot V2 accepts ([idf] "RSA-3072"). */
export const RSA_BITS = 3072;
/** [doc] the key digest covers bytes 36..811 (n, e, R, M'); [espsecure] `sig_block[36:812]`. */
export const RSA_KEY_DIGEST_RANGE = [36, 812] as const;

/** [espsecure] `ECDSA_SHA_256`, `ECDSA_SHA_384` (byte 2 of a version 3 block). */
export const EcdsaShaVersion = { sha256: 0, sha384: 1 } as const;
/** [espsecure] `CURVE_ID_P192`, `CURVE_ID_P256`, `CURVE_ID_P384`; [doc] "curve id 2" / "3". */
export const CurveId = { p192: 1, p256: 2, p384: 3 } as const;

/**
 * [doc] "P-256: byte 2 = 0, 4..35 digest, 36 curve id, 37..100 X‖Y, 101..164 r‖s";
 * [espsecure] `struct.pack("<BBBx32sB64s64s1031x")`. Numbers little-endian ([espsecure]
 * `_microecc_format`, "native little endian" micro-ecc order).
 */
export const EcdsaP256BlockOffset = {
  shaVersion: 2,
  digest: 4,
  curveId: 36,
  point: 37,
  signature: 101,
} as const;
/** [doc] the P-384 variant: 48-byte digest at 4, curve id at 52, point at 53, signature at 149. */
export const EcdsaP384BlockOffset = {
  shaVersion: 2,
  digest: 4,
  curveId: 52,
  point: 53,
  signature: 149,
} as const;
/** [espsecure] `signature_info_v2`: ECDSA key digest over curve id + point (`sig_block[36:101]`, P-384 `[52:149]`). */
export const ECDSA_P256_KEY_DIGEST_RANGE = [36, 101] as const;
export const ECDSA_P384_KEY_DIGEST_RANGE = [52, 149] as const;
/** P-256 coordinate and scalar size in bytes. */
export const P256_BYTES = 32;
