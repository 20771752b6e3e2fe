/**
 * `fleet image`: inspect, sign and verify ESP32-family firmware images.
 *
 *   fleet image inspect <file> [--json] [--chip <name>]
 *   fleet image sign <in> --key <pem-file | kms:<key-id>> --out <file> [--append]
 *   fleet image verify <file> --pubkey <pem-file>
 *
 * Exit codes: 0 success; 1 the image has problems / no block verifies; 2 the command could not
 * run (missing file, unreadable or unsupported key, KMS error). Files are streamed, never read
 * whole. Acceptance checks call these exact names and flags.
 */
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { access, open, readFile, rename, rm } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import type { AppImageInfo } from '../../ota/app-image/app-image-info';
import type { Signer } from '../../ota/signing/signer';

/** An error the user can fix; printed without a stack trace, exit code 2. */
class UsageError extends Error {}

async function readImage(file: string, targetChip?: string): Promise<AppImageInfo> {
  const { AppImageParser } = await import('../../ota/app-image/app-image-parser');
  await assertReadable(file, 'image');
  const parser = new AppImageParser({ targetChip });
  for await (const chunk of createReadStream(file)) parser.push(chunk as Buffer);
  return parser.finish();
}

async function assertReadable(file: string, what: string): Promise<void> {
  try {
    await access(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${what} file ${file}: ${code === 'ENOENT' ? 'no such file' : code}`,
    );
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** The `--json` shape of `inspect` (the issue lists these fields; keep them stable). */
export function inspectJson(info: AppImageInfo): Record<string, unknown> {
  const h = info.header;
  return {
    chip: h?.chip ?? null,
    chipId: h?.chipId ?? null,
    entryAddr: h?.entryAddr ?? null,
    flashMode: h?.flashMode ?? null,
    flashSize: h?.flashSize ?? null,
    flashFreq: h?.flashFreq ?? null,
    segments: info.segments.map(s => ({
      loadAddr: s.loadAddr,
      length: s.length,
      fileOffset: s.fileOffset,
    })),
    checksum: info.checksum && {
      stored: info.checksum.stored,
      computed: info.checksum.computed,
      valid: info.checksum.valid,
    },
    hash: info.hash && {
      stored: info.hash.stored,
      computed: info.hash.computed,
      valid: info.hash.valid,
    },
    app: info.app && {
      secureVersion: info.app.secureVersion,
      version: info.app.version,
      projectName: info.app.projectName,
      time: info.app.time,
      date: info.app.date,
      idfVersion: info.app.idfVersion,
      elfSha256: info.app.elfSha256,
    },
    signatureBlocks: (info.signatureSector?.blocks ?? []).map(b => ({
      index: b.index,
      scheme: b.scheme,
      crcValid: b.crcValid,
      keyDigest: b.keyDigest,
    })),
    problems: info.problems.map(p => ({ offset: p.offset, message: p.message })),
  };
}

/** The human-readable `inspect` output, in esptool `image_info`'s order. */
export function inspectText(file: string, info: AppImageInfo): string {
  const lines: string[] = [`${file}: ${info.size} bytes, SHA-256 ${info.sha256}`];
  const h = info.header;
  if (h) {
    lines.push(
      '',
      `Chip:          ${h.chip ?? 'unknown'} (chip id ${h.chipId})`,
      `Entry point:   ${hex(h.entryAddr)}`,
      `Segments:      ${h.segmentCount}`,
      `Flash:         ${h.flashSize ?? 'invalid size'} / ${h.flashFreq ?? 'invalid freq'} / ${h.flashMode ?? 'invalid mode'}`,
      `WP pin:        ${hex(h.wpPin)}${h.wpPin === 0xee ? ' (disabled)' : ''}`,
      `Chip revision: min v${Math.floor(h.minChipRevFull / 100)}.${h.minChipRevFull % 100} (legacy ${h.minChipRev}), ` +
        `max v${Math.floor(h.maxChipRevFull / 100)}.${h.maxChipRevFull % 100}`,
      '',
      'Segment  Length   Load addr   File offs   Memory types',
      '-------  -------  ----------  ----------  ------------',
    );
    for (const s of info.segments) {
      lines.push(
        `${String(s.index).padStart(7)}  ${hex(s.length).padStart(7)}  ${`0x${s.loadAddr.toString(16).padStart(8, '0')}`}  ` +
          `${`0x${s.fileOffset.toString(16).padStart(8, '0')}`}  ${s.memoryTypes.join(', ')}`,
      );
    }
    lines.push('');
  }
  if (info.checksum) {
    const c = info.checksum;
    lines.push(
      `Checksum:      ${hex(c.stored)} (${c.valid ? 'valid' : `invalid - calculated ${hex(c.computed)}`})`,
    );
  }
  if (info.hash)
    lines.push(
      `Hash:          ${info.hash.computed} (${info.hash.valid ? 'valid' : `invalid - stored ${info.hash.stored}`})`,
    );
  else if (h && !h.hashAppended) lines.push('Hash:          not appended');
  if (info.app) {
    const a = info.app;
    lines.push(
      '',
      `Project name:  ${a.projectName}`,
      `App version:   ${a.version}`,
      `Compile time:  ${a.date} ${a.time}`,
      `ELF SHA-256:   ${a.elfSha256}`,
      `ESP-IDF:       ${a.idfVersion}`,
      `Secure version: ${a.secureVersion}`,
    );
  }
  if (info.bootloader) {
    const b = info.bootloader;
    lines.push(
      '',
      `Bootloader version: ${b.version}`,
      `ESP-IDF:       ${b.idfVersion}`,
      `Compile time:  ${b.dateTime}`,
    );
  }
  const sector = info.signatureSector;
  if (sector) {
    lines.push(
      '',
      `Signature sector at ${hex(sector.offset)} (signed content SHA-256 ${sector.contentSha256})`,
    );
    for (const b of sector.blocks) {
      lines.push(
        `  block ${b.index}: ${b.scheme}, CRC ${b.crcValid ? 'valid' : 'INVALID'}, key digest ${b.keyDigest}`,
      );
    }
  }
  lines.push('');
  if (info.problems.length === 0) lines.push('No problems found.');
  else {
    lines.push(`${info.problems.length} problem(s):`);
    for (const p of info.problems) lines.push(`  at ${hex(p.offset)}: ${p.message}`);
  }
  return lines.join('\n');
}

/** `--key`: a PEM private key file, or `kms:<key-id>` (KMSClient from the standard AWS config). */
async function loadSigner(key: string): Promise<Signer> {
  if (key.startsWith('kms:')) {
    const keyId = key.slice('kms:'.length);
    if (!keyId) throw new UsageError('--key kms: needs a key id, e.g. kms:alias/fleet-secure-boot');
    const [{ KMSClient }, { KmsSigner }] = await Promise.all([
      import('@aws-sdk/client-kms'),
      import('../../ota/signing/kms-signer'),
    ]);
    // Region, credentials and AWS_ENDPOINT_URL come from the standard AWS environment/config.
    const signer = new KmsSigner(new KMSClient({}), keyId);
    await signer.getPublicKey();
    return signer;
  }
  await assertReadable(key, 'key');
  const { PemSigner } = await import('../../ota/signing/pem-signer');
  return new PemSigner(await readFile(key));
}

async function loadPublicKey(file: string): Promise<KeyObject> {
  await assertReadable(file, 'public key');
  const { createPublicKey } = await import('node:crypto');
  try {
    return createPublicKey(await readFile(file));
  } catch (error) {
    throw new UsageError(`cannot read a PEM public key from ${file}: ${(error as Error).message}`);
  }
}

async function signCommand(
  input: string,
  opts: { key: string; out: string; append?: boolean },
): Promise<number> {
  await assertReadable(input, 'image');
  const signer = await loadSigner(opts.key);
  const { ImageSigner } = await import('../../ota/secure-boot/image-signer');
  const imageSigner = new ImageSigner({
    signer,
    append: opts.append,
    tolerate: ['not-an-application'],
  });
  // Written beside the target, renamed into place only once signing succeeded.
  const temp = `${opts.out}.partial-${process.pid}`;
  const out = await open(temp, 'w');
  try {
    for await (const chunk of createReadStream(input)) {
      for (const piece of imageSigner.push(chunk as Buffer)) await out.write(piece);
    }
    const { tail, result } = await imageSigner.finish();
    await out.write(tail);
    await out.close();
    await rename(temp, opts.out);
    const block = result.blocks[result.blocks.length - 1];
    console.log(`signed ${input} → ${opts.out} (${result.size} bytes, SHA-256 ${result.sha256})`);
    console.log(
      `signature block ${block.index}: ${block.scheme}, key ${signer.keyId}, key digest ${block.keyDigest}`,
    );
    if (!result.input.app)
      console.log('note: not an application image (no app descriptor), e.g. a bootloader');
    return 0;
  } catch (error) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

async function verifyCommand(file: string, opts: { pubkey: string }): Promise<number> {
  const publicKey = await loadPublicKey(opts.pubkey);
  const { verifyImageSignature } = await import('../../ota/secure-boot/verify-signature-block');
  const info = await readImage(file);
  const result = verifyImageSignature(info, publicKey);
  console.log(`key digest of ${opts.pubkey}: ${result.keyDigest}`);
  if (!info.signatureSector) console.log(`${file} has no signature sector`);
  for (const b of result.blocks)
    console.log(`block ${b.index} (${b.scheme}, key digest ${b.keyDigest}): ${b.reason}`);
  const sectorProblems = info.problems.filter(
    p => p.code.startsWith('signature') || p.code === 'trailing-bytes',
  );
  for (const p of sectorProblems) console.log(`problem at ${hex(p.offset)}: ${p.message}`);
  console.log(
    result.verified ? 'verified' : 'NOT verified: no signature block verifies with this key',
  );
  return result.verified ? 0 : 1;
}

/**
 * Runs an action and sets the exit code. Errors become one line on stderr: an invalid image
 * exits 1 (like problems found), everything else (missing file, bad key, KMS refusal) exits 2.
 */
function run<A extends unknown[]>(
  action: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await action(...args);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      console.error(`error: ${(error as Error).message}`);
      if (process.env.FLEET_DEBUG) console.error(error);
      process.exitCode = !(error instanceof UsageError) && code === 'IMAGE_INVALID' ? 1 : 2;
    }
  };
}

export function registerImageCommand(program: Command): void {
  const image = program
    .command('image')
    .description('Inspect, sign (Secure Boot V2) and verify ESP32-family firmware images');

  image
    .command('inspect')
    .description(
      'Parse and validate an image: header, segments, checksum, appended SHA-256, app descriptor and ' +
        'Secure Boot V2 signature blocks. Exits 1 if any problem is found.',
    )
    .argument('<file>', 'image file (e.g. build/app.bin)')
    .option('--json', 'print one JSON object instead of the table')
    .option(
      '--chip <name>',
      'report a problem unless the image is built for this chip (e.g. esp32, esp32s3)',
    )
    .action(
      run(async (file: string, opts: { json?: boolean; chip?: string }) => {
        const info = await readImage(file, opts.chip);
        console.log(
          opts.json ? JSON.stringify(inspectJson(info), null, 2) : inspectText(file, info),
        );
        return info.problems.length === 0 ? 0 : 1;
      }),
    );

  image
    .command('sign')
    .description(
      'Append a Secure Boot V2 signature: pads the image with 0xFF to 4 KB and adds a signature sector. ' +
        'The key picks the scheme: RSA-3072 → RSA-PSS block (version 2), EC P-256 → ECDSA block (version 3).',
    )
    .argument('<in>', 'image to sign')
    .requiredOption(
      '--key <pem-file | kms:<key-id>>',
      'private key PEM file, or kms:<key id/ARN/alias> (AWS config and AWS_ENDPOINT_URL from the environment)',
    )
    .requiredOption(
      '--out <file>',
      'where to write the signed image (written only if signing succeeds)',
    )
    .option('--append', 'add a block to an already signed image (at most 3 blocks)')
    .action(run(signCommand));

  image
    .command('verify')
    .description('Check every signature block against a public key; exits 0 only if one verifies.')
    .argument('<file>', 'signed image')
    .requiredOption('--pubkey <pem-file>', 'public key PEM file (RSA-3072 or EC P-256)')
    .action(run(verifyCommand));
}
