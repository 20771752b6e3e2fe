import { createHash } from 'node:crypto';
import { SECTOR_SIZE } from '../secure-boot/constants';
import { parseSignatureSector } from '../secure-boot/signature-block';
import type {
  AppDescriptor,
  AppImageInfo,
  BootloaderDescriptor,
  ChecksumCheck,
  HashCheck,
  ImageHeader,
  ImageSegment,
  ParseAppImageOptions,
  SignatureSectorInfo,
} from './app-image-info';
import {
  APP_DESC_SIZE,
  APPENDED_HASH_SIZE,
  BOOTLOADER_DESC_SIZE,
  CHECKSUM_SEED,
  HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
} from './constants';
import {
  badMagic,
  checksumMismatch,
  checksumOffset,
  checksumTruncated,
  decodeAppDescriptor,
  decodeBootloaderDescriptor,
  decodeHeader,
  hashMismatch,
  hashTruncated,
  headerProblems,
  headerTruncated,
  isBootloaderDescCandidate,
  paddingNotFf,
  sectorStartFor,
  segmentHeaderTruncated,
  segmentPastEnd,
  trailerLayoutProblem,
  xorChecksum,
} from './decode';
import type { ImageProblem } from './image-problem';
import { memoryTypes } from './memory-map';

/**
 * Parses and validates an ESP32-family image held in memory, in named steps: header → segments
 * → checksum → hash → app descriptor → trailing signature sector. Never throws on bad input:
 * every problem found is listed in `problems` with its byte offset, and the parse goes as far as
 * the bytes allow. For files that should not be held whole, use `AppImageParser` (same result).
 *
 * @example
 * const info = parseAppImage(bytes, { targetChip: 'esp32' });
 * if (info.problems.length > 0) throw new ImageInvalidError(info.problems);
 */
export function parseAppImage(bytes: Uint8Array, options: ParseAppImageOptions = {}): AppImageInfo {
  const problems: ImageProblem[] = [];
  const result = {
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    header: null as ImageHeader | null,
    segments: [] as ImageSegment[],
    checksum: null as ChecksumCheck | null,
    hash: null as HashCheck | null,
    app: null as AppDescriptor | null,
    bootloader: null as BootloaderDescriptor | null,
    imageEnd: null as number | null,
    signatureSector: null as SignatureSectorInfo | null,
    problems,
  };

  const header = stepHeader(bytes, options, problems);
  if (!header) return result;
  result.header = header;

  const segments = stepSegments(bytes, header, problems);
  result.segments = segments.list;
  if (segments.end === undefined) return finish(result, bytes, header, problems);

  const checksum = stepChecksum(bytes, segments.end, segments.checksum, problems);
  if (!checksum) return finish(result, bytes, header, problems);
  result.checksum = checksum;

  const imageEnd = stepHash(bytes, header, checksum.offset + 1, problems, h => (result.hash = h));
  if (imageEnd === undefined) return finish(result, bytes, header, problems);
  result.imageEnd = imageEnd;

  finish(result, bytes, header, problems);
  result.signatureSector = stepTrailer(bytes, imageEnd, problems);
  return result;
}

/** The app descriptor is looked at whatever else failed, so its problem always shows. */
function finish(
  result: {
    app: AppDescriptor | null;
    bootloader: BootloaderDescriptor | null;
    segments: ImageSegment[];
  },
  bytes: Uint8Array,
  header: ImageHeader,
  problems: ImageProblem[],
): AppImageInfo {
  if (!result.segments.some(s => s.memoryTypes.includes('DROM'))) {
    const last = result.segments
      .filter(s => isBootloaderDescCandidate(s.memoryTypes, s.length))
      .pop();
    if (last)
      result.bootloader = decodeBootloaderDescriptor(
        bytes.subarray(last.dataOffset, last.dataOffset + BOOTLOADER_DESC_SIZE),
      );
  }
  const seg0 = result.segments[0];
  const descBytes = seg0
    ? bytes.subarray(seg0.dataOffset, seg0.dataOffset + Math.min(seg0.length, APP_DESC_SIZE))
    : new Uint8Array(0);
  const app = decodeAppDescriptor(descBytes, header.segmentCount);
  if ('code' in app) problems.push(app);
  else result.app = app;
  return result as unknown as AppImageInfo;
}

function stepHeader(
  bytes: Uint8Array,
  options: ParseAppImageOptions,
  problems: ImageProblem[],
): ImageHeader | undefined {
  const truncated = headerTruncated(bytes.length);
  if (truncated) {
    problems.push(truncated);
    return undefined;
  }
  const raw = bytes.subarray(0, HEADER_SIZE);
  const header = decodeHeader(raw);
  const magic = badMagic(header);
  if (magic) {
    problems.push(magic);
    return undefined;
  }
  problems.push(...headerProblems(header, raw, options.targetChip));
  return header;
}

function stepSegments(
  bytes: Uint8Array,
  header: ImageHeader,
  problems: ImageProblem[],
): { list: ImageSegment[]; end?: number; checksum: number } {
  const list: ImageSegment[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = HEADER_SIZE;
  let checksum = CHECKSUM_SEED;
  for (let index = 0; index < header.segmentCount; index++) {
    if (bytes.length - pos < SEGMENT_HEADER_SIZE) {
      problems.push(segmentHeaderTruncated(index, pos, bytes.length));
      return { list, checksum };
    }
    const loadAddr = view.getUint32(pos, true);
    const length = view.getUint32(pos + 4, true);
    const dataOffset = pos + SEGMENT_HEADER_SIZE;
    const remaining = bytes.length - dataOffset;
    if (length > remaining) {
      problems.push(segmentPastEnd(index, pos, length, remaining));
      return { list, checksum };
    }
    list.push({
      index,
      loadAddr,
      length,
      fileOffset: pos,
      dataOffset,
      memoryTypes: memoryTypes(header.chipId, loadAddr),
    });
    checksum = xorChecksum(bytes.subarray(dataOffset, dataOffset + length), checksum);
    pos = dataOffset + length;
  }
  return { list, end: pos, checksum };
}

function stepChecksum(
  bytes: Uint8Array,
  end: number,
  computed: number,
  problems: ImageProblem[],
): ChecksumCheck | undefined {
  const offset = checksumOffset(end);
  if (offset >= bytes.length) {
    problems.push(checksumTruncated(offset, bytes.length));
    return undefined;
  }
  const stored = bytes[offset];
  if (stored !== computed) problems.push(checksumMismatch(offset, stored, computed));
  return { stored, computed, valid: stored === computed, offset };
}

/** Returns the image end (past the hash, or past the checksum without one). */
function stepHash(
  bytes: Uint8Array,
  header: ImageHeader,
  offset: number,
  problems: ImageProblem[],
  set: (h: HashCheck) => void,
): number | undefined {
  if (!header.hashAppended) return offset;
  if (bytes.length - offset < APPENDED_HASH_SIZE) {
    problems.push(hashTruncated(offset, bytes.length));
    return undefined;
  }
  const stored = Buffer.from(bytes.subarray(offset, offset + APPENDED_HASH_SIZE)).toString('hex');
  const computed = createHash('sha256').update(bytes.subarray(0, offset)).digest('hex');
  if (stored !== computed) problems.push(hashMismatch(offset, stored, computed));
  set({ stored, computed, valid: stored === computed, offset });
  return offset + APPENDED_HASH_SIZE;
}

function stepTrailer(
  bytes: Uint8Array,
  imageEnd: number,
  problems: ImageProblem[],
): SignatureSectorInfo | null {
  if (bytes.length === imageEnd) return null;
  const layout = trailerLayoutProblem(imageEnd, bytes.length);
  if (layout) {
    problems.push(layout);
    return null;
  }
  const sectorStart = sectorStartFor(imageEnd);
  for (let i = imageEnd; i < sectorStart; i++) {
    if (bytes[i] !== 0xff) {
      problems.push(paddingNotFf(i, bytes[i]));
      break;
    }
  }
  const contentDigest = createHash('sha256').update(bytes.subarray(0, sectorStart)).digest();
  const sector = parseSignatureSector(
    bytes.subarray(sectorStart, sectorStart + SECTOR_SIZE),
    sectorStart,
    contentDigest,
  );
  problems.push(...sector.problems);
  return {
    offset: sectorStart,
    contentSha256: contentDigest.toString('hex'),
    blocks: sector.blocks,
  };
}
