import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readArchiveFiles, UnreadableArchiveError } from '../../shared/packages/archiveFiles.js';
import { validateArchive } from '../../shared/packages/archiveValidator.js';
import { file, tarOf, tgzOf } from '../support/archives.js';

const MB = 1_048_576;
const manifest = JSON.stringify({ name: 'rules', version: '1.0.0', files: ['**'] });

async function unreadable(bytes: Uint8Array): Promise<UnreadableArchiveError> {
  const outcome = await readArchiveFiles(bytes).then(
    (files) => new Error(`expected a failure, read ${files.length} files`),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(UnreadableArchiveError);
  return outcome as UnreadableArchiveError;
}

describe('readArchiveFiles', () => {
  it('reads every file as text, with the paths and sizes validateArchive reports', async () => {
    const archive = await tgzOf([
      { name: './', type: 'directory' },
      file('./rulestack.json', `\uFEFF${manifest}`),
      { name: 'rules', type: 'directory' },
      file('rules/security.md', '# Security\n\nÜnïcödé ✓ <script>alert(1)</script>\n'),
      file('rules//empty.txt', ''),
    ]);
    const files = await readArchiveFiles(archive);
    expect(files).toEqual([
      { path: 'rulestack.json', text: manifest, size: Buffer.byteLength(manifest) + 3 },
      { path: 'rules/security.md', text: '# Security\n\nÜnïcödé ✓ <script>alert(1)</script>\n', size: Buffer.byteLength('# Security\n\nÜnïcödé ✓ <script>alert(1)</script>\n') },
      { path: 'rules/empty.txt', text: '', size: 0 },
    ]);
    const validated = await validateArchive(archive, { name: 'rules', version: '1.0.0' });
    expect(validated.files).toEqual(files);
  });

  it('reads an archive of several gzip members', async () => {
    const tar = await tarOf([file('rulestack.json', manifest), file('a.md', 'alpha')]);
    const split = 512 * 3;
    const bytes = Buffer.concat([gzipSync(tar.subarray(0, split)), gzipSync(tar.subarray(split))]);
    expect((await readArchiveFiles(bytes)).map((f) => f.text)).toEqual([manifest, 'alpha']);
  });

  it.each([
    ['bytes that are not gzip', Buffer.from('not an archive at all')],
    ['a truncated archive', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3])],
  ])('refuses %s', async (_kind, bytes) => {
    expect((await unreadable(bytes)).message).toMatch(/^Stored archive unreadable: /);
  });

  it('refuses what publish would have refused: a symbolic link, invalid UTF-8, a NUL byte', async () => {
    await unreadable(await tgzOf([file('rulestack.json', manifest), { name: 'l.md', type: 'symlink', linkname: '/etc/passwd' }]));
    expect((await unreadable(await tgzOf([file('a.md', Buffer.from('Caf\xe9', 'latin1'))]))).message).toMatch(/"a\.md" is not UTF-8 text/);
    expect((await unreadable(await tgzOf([file('a.md', 'a\u0000b')]))).message).toMatch(/NUL/);
  });

  it('stops at the publish limits: 101 files, a file over 1 MB, more than 10 MB in total', async () => {
    const many = Array.from({ length: 101 }, (_, i) => file(`r/${i}.md`, 'x'));
    expect((await unreadable(await tgzOf(many))).message).toMatch(/more than 100 files/);
    expect((await unreadable(await tgzOf([file('big.md', 'a'.repeat(MB + 1))]))).message).toMatch(/"big\.md" is larger/);
    const eleven = Array.from({ length: 11 }, (_, i) => file(`big-${i}.txt`, 'a'.repeat(MB)));
    expect((await unreadable(await tgzOf(eleven))).message).toMatch(/larger than a package may hold/);
  });

  it('stops inflating a gzip bomb of empty tar blocks at the stream limit', async () => {
    const start = gzipSync(await tarOf([file('a.md', 'a')]));
    const zeros = gzipSync(Buffer.alloc(MB), { level: 9 });
    const bomb = Buffer.concat([start, ...Array.from({ length: 1024 }, () => zeros)]);
    const startedAt = performance.now();
    expect((await unreadable(bomb)).message).toMatch(/inflates to more than/);
    expect(performance.now() - startedAt).toBeLessThan(5_000);
  });
});
