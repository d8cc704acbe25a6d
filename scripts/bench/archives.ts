import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

// Package archives and publish requests built in memory with tar-stream (small archives only),
// for the benchmark, the fault drill and the tests (test/support/archives.ts re-exports them).

type EntryHeader = Parameters<ReturnType<typeof pack>['entry']>[0];
export type Entry = EntryHeader & { content?: string | Uint8Array };

export const file = (name: string, content: string | Uint8Array = '# Rules\n'): Entry => ({ name, content });

/** An uncompressed tar of the entries, built in memory: for small archives only. */
export async function tarOf(entries: Entry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const body = typeof content === 'string' ? Buffer.from(content) : content === undefined ? undefined : Buffer.from(content);
      const callback = (error?: Error | null) => (error ? reject(error) : resolve());
      if (body === undefined) tar.entry(header, callback);
      else tar.entry(header, body, callback);
    });
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const tgzOf = async (entries: Entry[]) => gzipSync(await tarOf(entries));

/** Optional fields of a gzip member's header (RFC 1952): FEXTRA, FNAME, FCOMMENT. */
export interface GzipHeaderFields {
  extra?: Uint8Array;
  name?: string;
  comment?: string;
}

/** One gzip member of `data`, with a hand-written header carrying the given optional fields. */
export function gzipMember(data: Uint8Array, fields: GzipHeaderFields = {}): Buffer {
  const flags = (fields.extra ? 0x04 : 0) | (fields.name !== undefined ? 0x08 : 0) | (fields.comment !== undefined ? 0x10 : 0);
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 0xff])];
  if (fields.extra) {
    const length = Buffer.alloc(2);
    length.writeUInt16LE(fields.extra.length);
    parts.push(length, Buffer.from(fields.extra));
  }
  if (fields.name !== undefined) parts.push(Buffer.from(`${fields.name}\0`, 'latin1'));
  if (fields.comment !== undefined) parts.push(Buffer.from(`${fields.comment}\0`, 'latin1'));
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([...parts, deflateRawSync(data), trailer]);
}

/** The manifest `rfh pack` embeds as rulestack.json and `rfh publish` sends alongside the archive. */
export const manifestFor = (name: string, version: string, files: string[]) => ({
  name,
  version,
  description: `${name} rules`,
  targets: ['cursor'],
  tags: ['bench'],
  files,
});

/** A package archive: `manifest` as rulestack.json at the root, then the files. */
export function archiveOf(manifest: object, files: Record<string, string>): Promise<Buffer> {
  return tgzOf([file('rulestack.json', JSON.stringify(manifest)), ...Object.entries(files).map(([n, c]) => file(n, c))]);
}

/** A valid package archive as `rfh pack` makes it, its rulestack.json being manifestFor(...). */
export function packageArchive(name: string, version: string, files: Record<string, string> = { 'rules.md': '# Rules\n' }): Promise<Buffer> {
  return archiveOf(manifestFor(name, version, Object.keys(files)), files);
}

/** Rule text of about `bytes` bytes (compresses like prose, not like zeros). */
export function ruleText(bytes: number, seed: number): string {
  const words = ['always', 'never', 'prefer', 'avoid', 'typed', 'errors', 'imports', 'tests', 'naming', 'review', 'commit', 'async'];
  const lines: string[] = [`# Rules ${seed}`];
  let size = lines[0]!.length;
  for (let i = 0; size < bytes; i++) {
    const line = `- ${words[(i * 7 + seed) % words.length]} ${words[(i * 5 + seed * 3) % words.length]} ${i} ${words[(i + seed) % words.length]}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

export interface PublishRequest {
  contentType: string;
  body: Buffer;
}

/** POST /v1/packages as `rfh publish` sends it: multipart with file parts `manifest` and `archive`. */
export async function publishRequest(name: string, version: string, files: Record<string, string> = { 'rules.md': ruleText(2000, 1) }): Promise<PublishRequest> {
  const archive = await packageArchive(name, version, files);
  const manifest = Buffer.from(JSON.stringify(manifestFor(name, version, Object.keys(files))));
  const boundary = `----rfhbench${randomBytes(12).toString('hex')}`;
  const part = (field: string, filename: string, bytes: Buffer) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    bytes,
    Buffer.from('\r\n'),
  ];
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.concat([...part('manifest', 'rulestack.json', manifest), ...part('archive', 'package.tgz', archive), Buffer.from(`--${boundary}--\r\n`)]),
  };
}
