/**
 * `fleet image` as people and the acceptance checks run it: the real CLI in a child process, on
 * the real fixtures, with keys in files and a KMS key behind the local KMS endpoint.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../../../local/kms/kms-server';
import {
  ACCOUNT_ID,
  CREDENTIALS,
  REGION,
  kmsClient,
  tempStateDir,
} from '../../../local/test/utils/local-aws';
import { fixturePath, repoRoot } from '../../../test/utils/fixtures';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function fleet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [join(repoRoot, 'scripts/fleet.js'), ...args],
      { env: { ...process.env, ...env }, cwd: repoRoot },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const dir = mkdtempSync(join(tmpdir(), 'fleet-image-cli-'));
const file = (name: string) => join(dir, name);
const APP = fixturePath('esp32-app-template.bin');

function writeKey(name: string, kind: 'rsa' | 'ec' | 'rsa2048'): void {
  const { privateKey, publicKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: kind === 'rsa' ? 3072 : 2048 });
  writeFileSync(file(`${name}.pem`), privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(file(`${name}.pub.pem`), publicKey.export({ format: 'pem', type: 'spki' }));
}

beforeAll(() => {
  writeKey('rsa', 'rsa');
  writeKey('ec', 'ec');
  writeKey('ec2', 'ec');
  writeKey('rsa2048', 'rsa2048');
  writeFileSync(file('garbage.pem'), 'not a key\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fleet image inspect', () => {
  it('prints exactly the issue fields with --json, numbers as numbers, and exits 0 for a valid app', async () => {
    const run = await fleet(['image', 'inspect', APP, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual([
      'chip',
      'chipId',
      'entryAddr',
      'flashMode',
      'flashSize',
      'flashFreq',
      'segments',
      'checksum',
      'hash',
      'app',
      'signatureBlocks',
      'problems',
    ]);
    expect(out).toMatchObject({
      chip: 'ESP32',
      chipId: 0,
      entryAddr: 0x4008167c,
      flashMode: 'QIO',
      flashSize: '1MB',
      flashFreq: '40m',
    });
    expect(out.segments[0]).toEqual({ loadAddr: 0x3f400020, length: 0x18c0c, fileOffset: 0x18 });
    expect(out.checksum).toEqual({ stored: 0x7c, computed: 0x7c, valid: true });
    expect(out.hash.valid).toBe(true);
    expect(Object.keys(out.app)).toEqual([
      'secureVersion',
      'version',
      'projectName',
      'time',
      'date',
      'idfVersion',
      'elfSha256',
    ]);
    expect(out.signatureBlocks).toEqual([]);
    expect(out.problems).toEqual([]);
  });

  it('lists the signature blocks of a signed file and exits 1 for a bootloader (not an application)', async () => {
    const run = await fleet([
      'image',
      'inspect',
      fixturePath('bootloader_multi_signed_v2_rsa.bin'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.app).toBeNull();
    expect(out.signatureBlocks.map((b: { keyDigest: string }) => b.keyDigest)).toEqual([
      'cb2791a371b0c0322bf7370478ba0962224cab1cf2287879e429673e7da84463',
      '901a7409238d52d4cbf96f563fb3f4296dabd66a33f53b15eecd8cb3e7ec45d3',
      '27919392d68bab79286a26759143a5b1d599efcebd754e5703b5dd23b5e3dd3b',
    ]);
    expect(out.problems).toEqual([
      { offset: 0x20, message: expect.stringMatching(/^not an application/) },
    ]);
  });

  it('prints a table by default, problems with their offsets', async () => {
    const ok = await fleet(['image', 'inspect', APP]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Chip: +ESP32 \(chip id 0\)/);
    expect(ok.stdout).toMatch(/No problems found/);
    const broken = Buffer.from(readFileSync(APP));
    broken[0x100] ^= 0x80;
    writeFileSync(file('broken.bin'), broken);
    const bad = await fleet(['image', 'inspect', file('broken.bin')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/at 0x92eaf: checksum mismatch/);
  });

  it('says so when the file does not exist', async () => {
    const run = await fleet(['image', 'inspect', file('missing.bin')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read image file .*missing\.bin: no such file/);
  });
});

describe('fleet image sign / verify with PEM keys', () => {
  it('signs with RSA-3072, then verify passes with that key only', async () => {
    const sign = await fleet([
      'image',
      'sign',
      APP,
      '--key',
      file('rsa.pem'),
      '--out',
      file('app-rsa.bin'),
    ]);
    expect(sign.stderr).toBe('');
    expect(sign.code).toBe(0);
    expect(sign.stdout).toMatch(/signature block 0: RSA-3072/);
    expect(
      (await fleet(['image', 'verify', file('app-rsa.bin'), '--pubkey', file('rsa.pub.pem')])).code,
    ).toBe(0);
    const other = await fleet([
      'image',
      'verify',
      file('app-rsa.bin'),
      '--pubkey',
      fixturePath('rsa_secure_boot_signing_pubkey.pem'),
    ]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/NOT verified/);
    const inspect = JSON.parse(
      (await fleet(['image', 'inspect', file('app-rsa.bin'), '--json'])).stdout,
    );
    expect(inspect.signatureBlocks).toEqual([
      {
        index: 0,
        scheme: 'RSA-3072',
        crcValid: true,
        keyDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
  });

  it('appends ECDSA blocks up to three and refuses a fourth without writing the output', async () => {
    await fleet(['image', 'sign', APP, '--key', file('rsa.pem'), '--out', file('a1.bin')]);
    expect(
      (
        await fleet([
          'image',
          'sign',
          file('a1.bin'),
          '--key',
          file('ec.pem'),
          '--out',
          file('a2.bin'),
          '--append',
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await fleet([
          'image',
          'sign',
          file('a2.bin'),
          '--key',
          file('ec2.pem'),
          '--out',
          file('a3.bin'),
          '--append',
        ])
      ).code,
    ).toBe(0);
    for (const key of ['rsa', 'ec', 'ec2']) {
      expect(
        (await fleet(['image', 'verify', file('a3.bin'), '--pubkey', file(`${key}.pub.pem`)])).code,
      ).toBe(0);
    }
    const fourth = await fleet([
      'image',
      'sign',
      file('a3.bin'),
      '--key',
      file('ec.pem'),
      '--out',
      file('a4.bin'),
      '--append',
    ]);
    expect(fourth.code).toBe(2);
    expect(fourth.stderr).toMatch(/already holds 3 signature blocks/);
    expect(existsSync(file('a4.bin'))).toBe(false);
    const again = await fleet([
      'image',
      'sign',
      file('a1.bin'),
      '--key',
      file('ec.pem'),
      '--out',
      file('a5.bin'),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already signed; use append/);
  });

  it('refuses unreadable, unsupported and missing keys, and invalid images, with clear messages', async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['--key', file('garbage.pem')], /cannot read a PEM private key/, 2],
      [['--key', file('rsa2048.pem')], /2048-bit modulus; Secure Boot V2 needs RSA-3072/, 2],
      [['--key', file('nope.pem')], /cannot read key file .*nope\.pem: no such file/, 2],
      [['--key', 'kms:'], /--key kms: needs a key id/, 2],
    ];
    for (const [keyArgs, message, code] of cases) {
      const run = await fleet(['image', 'sign', APP, ...keyArgs, '--out', file('x.bin')]);
      expect(run.stderr).toMatch(message);
      expect(run.code).toBe(code);
    }
    const invalid = await fleet([
      'image',
      'sign',
      file('broken.bin'),
      '--key',
      file('ec.pem'),
      '--out',
      file('x.bin'),
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/refusing to sign an invalid image: .*checksum mismatch/);
    expect(existsSync(file('x.bin'))).toBe(false);
    const verify = await fleet(['image', 'verify', APP, '--pubkey', file('garbage.pem')]);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toMatch(/cannot read a PEM public key/);
  });
});

describe('fleet image sign --key kms:<key-id>', () => {
  const state = tempStateDir();
  let server: KmsServer;

  beforeAll(async () => {
    server = await startKmsServer({
      stateDir: state.dir,
      region: REGION,
      accountId: ACCOUNT_ID,
      credentials: [CREDENTIALS],
    });
    server.keys.setAlias(
      'alias/sb-rsa',
      server.keys.ensureKey('aws_kms_key.sb_rsa', 'RSA_3072', 'secure boot').keyId,
    );
    server.keys.setAlias(
      'alias/sb-ec',
      server.keys.ensureKey('aws_kms_key.sb_ec', 'ECC_NIST_P256', 'secure boot').keyId,
    );
    server.keys.setAlias(
      'alias/rsa2048',
      server.keys.ensureKey('aws_kms_key.rsa2048', 'RSA_2048', 'too small').keyId,
    );
  });
  afterAll(async () => {
    await server.close();
    state.remove();
  });

  const awsEnv = () => ({
    AWS_ENDPOINT_URL: server.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_MAX_ATTEMPTS: '1',
  });

  it.each(['alias/sb-rsa', 'alias/sb-ec'])(
    'signs with %s through the standard AWS environment; the block verifies',
    async alias => {
      const out = file(`kms-${alias.replace('/', '-')}.bin`);
      const run = await fleet(
        ['image', 'sign', APP, '--key', `kms:${alias}`, '--out', out],
        awsEnv(),
      );
      expect(run.stderr).not.toMatch(/error/i); // (the SDK may warn about the Node version)
      expect(run.code).toBe(0);
      const kms = kmsClient(server.url);
      const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: alias }));
      kms.destroy();
      const pem = createPublicKey({
        key: Buffer.from(PublicKey!),
        format: 'der',
        type: 'spki',
      }).export({ format: 'pem', type: 'spki' });
      writeFileSync(`${out}.pub.pem`, pem);
      expect((await fleet(['image', 'verify', out, '--pubkey', `${out}.pub.pem`])).code).toBe(0);
    },
  );

  it('refuses a KMS key of the wrong type', async () => {
    const run = await fleet(
      ['image', 'sign', APP, '--key', 'kms:alias/rsa2048', '--out', file('k.bin')],
      awsEnv(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/2048-bit modulus/);
  });
});
