import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

// Hand-made package archives for tests, built in memory with tar-stream (small archives only).

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

/** A valid package archive as `rfh pack` makes it: rulestack.json at the root plus rule files. */
export function packageArchive(name: string, version: string, files: Record<string, string> = { 'rules.md': '# Rules\n' }) {
  return tgzOf([
    file('rulestack.json', JSON.stringify({ name, version, description: `${name} rules`, files: Object.keys(files) })),
    ...Object.entries(files).map(([n, c]) => file(n, c)),
  ]);
}
