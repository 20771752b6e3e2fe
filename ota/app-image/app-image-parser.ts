import { createHash, type Hash } from 'node:crypto';
import { SECTOR_SIZE } from '../secure-boot/constants';
import { parseSignatureSector } from '../secure-boot/signature-block';
import type {
  AppImageInfo,
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

/** The states of the walk, in file order (mqtt-packet's `_states` shape). */
type State =
  | 'header'
  | 'segment-header'
  | 'segment-data'
  | 'checksum'
  | 'hash'
  | 'padding'
  | 'sector'
  | 'extra'
  | 'stopped';

/** Points of the file whose SHA-256 state a caller may continue from (see `hashStateAt`). */
export type HashPoint = 'image-end' | 'sector-start';

/**
 * Streaming parser and validator: feed chunks with `push`, then `finish()` returns exactly what
 * `parseAppImage` returns for the same bytes, whatever the chunk boundaries. Memory stays
 * constant (a few small buffers and one 4 KB sector), so a 16 MB image is never held whole. One
 * SHA-256 runs over the file; its state is copied where a digest is needed (after the checksum
 * for the appended hash, at the image end, at the signature sector), so each byte is hashed once.
 */
export class AppImageParser {
  private state: State = 'header';
  private pos = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly small = Buffer.alloc(APPENDED_HASH_SIZE);
  private smallFill = 0;
  private header: ImageHeader | null = null;
  private readonly headerProblems: ImageProblem[] = [];
  private readonly segmentProblems: ImageProblem[] = [];
  private readonly segments: ImageSegment[] = [];
  private segIndex = 0;
  private segOffset = 0;
  private segLoadAddr = 0;
  private segLength = 0;
  private segLeft = 0;
  private segMemoryTypes: string[] = [];
  private checksumValue = CHECKSUM_SEED;
  private checksumAt = 0;
  private checksum: ChecksumCheck | null = null;
  private imageDigest = '';
  private hashCheck: HashCheck | null = null;
  private readonly desc = Buffer.alloc(APP_DESC_SIZE);
  private descFill = 0;
  /** First 80 bytes of the current DRAM segment, and of the last complete one (esptool's rule). */
  private readonly bootDesc = Buffer.alloc(BOOTLOADER_DESC_SIZE);
  private bootDescFill = 0;
  private readonly lastBootDesc = Buffer.alloc(BOOTLOADER_DESC_SIZE);
  private hasBootDesc = false;
  private segIsBootCandidate = false;
  private sawDrom = false;
  private end: number | undefined;
  private reachedImageEnd = false;
  private paddingProblem: ImageProblem | undefined;
  private readonly sector = Buffer.alloc(SECTOR_SIZE);
  private sectorFill = 0;
  private readonly states = new Map<HashPoint, Hash>();
  private finished: AppImageInfo | undefined;

  constructor(private readonly options: ParseAppImageOptions = {}) {}

  /** Bytes pushed so far. */
  get position(): number {
    return this.pos;
  }

  /**
   * File offset where the image (checksum, appended hash) ends, known as soon as the last
   * segment header has been read; undefined before that or when the header is broken.
   */
  get imageEnd(): number | undefined {
    return this.end;
  }

  /**
   * A copy of the running SHA-256 at `point` (undefined until the stream has passed it), for a
   * caller that goes on hashing from there, e.g. a signer appending its own signature sector.
   */
  hashStateAt(point: HashPoint): Hash | undefined {
    return this.states.get(point)?.copy();
  }

  /** Feeds the next chunk of the file. */
  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('AppImageParser.push called after finish()');
    let i = 0;
    while (i < chunk.length) {
      const n = this.step(chunk, i);
      this.hash.update(chunk.subarray(i, i + n));
      i += n;
      this.pos += n;
      this.afterStep();
    }
    if (chunk.length === 0) this.afterStep();
  }

  /** Consumes bytes of the current state from `chunk[i..]`; returns how many (at least one). */
  private step(chunk: Uint8Array, i: number): number {
    const avail = chunk.length - i;
    switch (this.state) {
      case 'header':
        return this.fillSmall(chunk, i, HEADER_SIZE);
      case 'segment-header':
        return this.fillSmall(chunk, i, SEGMENT_HEADER_SIZE);
      case 'segment-data': {
        const n = Math.min(avail, this.segLeft);
        const piece = chunk.subarray(i, i + n);
        this.checksumValue = xorChecksum(piece, this.checksumValue);
        if (this.segIndex === 0 && this.descFill < APP_DESC_SIZE) {
          const take = Math.min(n, APP_DESC_SIZE - this.descFill);
          this.desc.set(piece.subarray(0, take), this.descFill);
          this.descFill += take;
        }
        if (this.segIsBootCandidate && this.bootDescFill < BOOTLOADER_DESC_SIZE) {
          const take = Math.min(n, BOOTLOADER_DESC_SIZE - this.bootDescFill);
          this.bootDesc.set(piece.subarray(0, take), this.bootDescFill);
          this.bootDescFill += take;
        }
        this.segLeft -= n;
        return n;
      }
      case 'checksum': {
        const n = Math.min(avail, this.checksumAt + 1 - this.pos);
        if (this.pos + n === this.checksumAt + 1) this.small[0] = chunk[i + n - 1];
        return n;
      }
      case 'hash':
        return this.fillSmall(chunk, i, APPENDED_HASH_SIZE);
      case 'padding': {
        const n = Math.min(avail, sectorStartFor(this.end ?? 0) - this.pos);
        if (!this.paddingProblem) {
          for (let k = 0; k < n; k++) {
            if (chunk[i + k] !== 0xff) {
              this.paddingProblem = paddingNotFf(this.pos + k, chunk[i + k]);
              break;
            }
          }
        }
        return n;
      }
      case 'sector': {
        const n = Math.min(avail, SECTOR_SIZE - this.sectorFill);
        this.sector.set(chunk.subarray(i, i + n), this.sectorFill);
        this.sectorFill += n;
        return n;
      }
      case 'extra':
      case 'stopped':
        return avail;
    }
  }

  private fillSmall(chunk: Uint8Array, i: number, want: number): number {
    const n = Math.min(chunk.length - i, want - this.smallFill);
    this.small.set(chunk.subarray(i, i + n), this.smallFill);
    this.smallFill += n;
    return n;
  }

  /** State transitions once a step has consumed its bytes (and they are hashed). */
  private afterStep(): void {
    switch (this.state) {
      case 'header': {
        if (this.smallFill < HEADER_SIZE) return;
        this.smallFill = 0;
        const raw = this.small.subarray(0, HEADER_SIZE);
        const header = decodeHeader(raw);
        const magic = badMagic(header);
        if (magic) {
          this.headerProblems.push(magic);
          this.state = 'stopped';
          return;
        }
        this.header = header;
        this.headerProblems.push(...headerProblems(header, raw, this.options.targetChip));
        this.segOffset = HEADER_SIZE;
        this.nextSegmentOrChecksum();
        return;
      }
      case 'segment-header': {
        if (this.smallFill < SEGMENT_HEADER_SIZE) return;
        this.smallFill = 0;
        this.segLoadAddr = this.small.readUInt32LE(0);
        this.segLength = this.small.readUInt32LE(4);
        this.segLeft = this.segLength;
        this.segMemoryTypes = memoryTypes(this.header?.chipId ?? -1, this.segLoadAddr);
        this.segIsBootCandidate = isBootloaderDescCandidate(this.segMemoryTypes, this.segLength);
        this.bootDescFill = 0;
        this.state = 'segment-data';
        if (this.segIndex === (this.header?.segmentCount ?? 0) - 1) {
          this.end = this.imageEndAfter(this.pos + this.segLength);
        }
        this.afterStep();
        return;
      }
      case 'segment-data': {
        if (this.segLeft > 0) return;
        this.segments.push({
          index: this.segIndex,
          loadAddr: this.segLoadAddr,
          length: this.segLength,
          fileOffset: this.segOffset,
          dataOffset: this.segOffset + SEGMENT_HEADER_SIZE,
          memoryTypes: this.segMemoryTypes,
        });
        if (this.segMemoryTypes.includes('DROM')) this.sawDrom = true;
        if (this.segIsBootCandidate) {
          this.bootDesc.copy(this.lastBootDesc);
          this.hasBootDesc = true;
        }
        this.segIndex += 1;
        this.segOffset = this.pos;
        this.nextSegmentOrChecksum();
        return;
      }
      case 'checksum': {
        if (this.pos <= this.checksumAt) return;
        const stored = this.small[0];
        const computed = this.checksumValue;
        this.checksum = { stored, computed, valid: stored === computed, offset: this.checksumAt };
        if (stored !== computed)
          this.segmentProblems.push(checksumMismatch(this.checksumAt, stored, computed));
        if (this.header?.hashAppended) {
          this.imageDigest = this.hash.copy().digest('hex');
          this.state = 'hash';
        } else {
          this.enterTrailer();
        }
        return;
      }
      case 'hash': {
        if (this.smallFill < APPENDED_HASH_SIZE) return;
        const stored = this.small.toString('hex');
        const offset = this.pos - APPENDED_HASH_SIZE;
        const computed = this.imageDigest;
        this.hashCheck = { stored, computed, valid: stored === computed, offset };
        if (stored !== computed) this.segmentProblems.push(hashMismatch(offset, stored, computed));
        this.enterTrailer();
        return;
      }
      case 'padding':
        if (this.pos === sectorStartFor(this.end ?? 0)) this.enterSector();
        return;
      case 'sector':
        if (this.sectorFill === SECTOR_SIZE) this.state = 'extra';
        return;
      default:
        return;
    }
  }

  private imageEndAfter(segmentsEnd: number): number {
    const checksumEnd = checksumOffset(segmentsEnd) + 1;
    return this.header?.hashAppended ? checksumEnd + APPENDED_HASH_SIZE : checksumEnd;
  }

  private nextSegmentOrChecksum(): void {
    if (this.segIndex < (this.header?.segmentCount ?? 0)) {
      this.state = 'segment-header';
      return;
    }
    this.checksumAt = checksumOffset(this.pos);
    this.end = this.imageEndAfter(this.pos);
    this.state = 'checksum';
  }

  private enterTrailer(): void {
    this.reachedImageEnd = true;
    this.states.set('image-end', this.hash.copy());
    if (this.pos === sectorStartFor(this.pos)) this.enterSector();
    else this.state = 'padding';
  }

  private enterSector(): void {
    this.states.set('sector-start', this.hash.copy());
    this.state = 'sector';
  }

  /** Ends the stream and returns the result (the same object on later calls). */
  finish(): AppImageInfo {
    if (this.finished) return this.finished;
    const size = this.pos;
    const problems: ImageProblem[] = [...this.headerProblems];
    problems.push(...this.segmentProblems);
    const truncation = this.truncationProblem(size);
    if (truncation) problems.push(truncation);
    let app: AppImageInfo['app'] = null;
    if (this.header) {
      // The descriptor bytes segment 0 delivered, even when the file ends inside segment 0: a
      // truncated application is reported as truncated, not as "not an application".
      const descBytes = this.desc.subarray(0, this.descFill);
      const decoded = decodeAppDescriptor(descBytes, this.header.segmentCount);
      if ('code' in decoded) problems.push(decoded);
      else app = decoded;
    }
    const signatureSector = this.trailer(size, problems);
    this.finished = {
      size,
      sha256: this.hash.digest('hex'),
      header: this.header,
      segments: this.segments,
      checksum: this.checksum,
      hash: this.hashCheck,
      app,
      bootloader:
        this.hasBootDesc && !this.sawDrom ? decodeBootloaderDescriptor(this.lastBootDesc) : null,
      imageEnd: this.reachedImageEnd ? (this.end ?? null) : null,
      signatureSector,
      problems,
    };
    return this.finished;
  }

  private truncationProblem(size: number): ImageProblem | undefined {
    switch (this.state) {
      case 'header':
        return headerTruncated(size);
      case 'segment-header':
        return segmentHeaderTruncated(this.segIndex, this.segOffset, size);
      case 'segment-data':
        return segmentPastEnd(
          this.segIndex,
          this.segOffset,
          this.segLength,
          size - this.segOffset - SEGMENT_HEADER_SIZE,
        );
      case 'checksum':
        return checksumTruncated(this.checksumAt, size);
      case 'hash':
        return hashTruncated(this.checksumAt + 1, size);
      default:
        return undefined;
    }
  }

  private trailer(size: number, problems: ImageProblem[]): SignatureSectorInfo | null {
    if (!this.reachedImageEnd || this.end === undefined || size === this.end) return null;
    const layout = trailerLayoutProblem(this.end, size);
    if (layout) {
      problems.push(layout);
      return null;
    }
    if (this.paddingProblem) problems.push(this.paddingProblem);
    const sectorStart = sectorStartFor(this.end);
    const contentDigest = this.states.get('sector-start')?.copy().digest() ?? Buffer.alloc(0);
    const sector = parseSignatureSector(this.sector, sectorStart, contentDigest);
    problems.push(...sector.problems);
    return {
      offset: sectorStart,
      contentSha256: contentDigest.toString('hex'),
      blocks: sector.blocks,
    };
  }
}

/** Parses a stream of chunks (e.g. a file read stream) with constant memory. */
export async function parseAppImageStream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ParseAppImageOptions = {},
): Promise<AppImageInfo> {
  const parser = new AppImageParser(options);
  for await (const chunk of chunks) parser.push(chunk);
  return parser.finish();
}
