import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// A process whose standard output and error share one file: the file holds the writes in the
// order the process made them. Standard error is written at once, so its markers show where the
// batched lines were held.
const script = `
import { writeSync } from 'node:fs';
import { batchStandardOutput } from './scripts/local/batchedStandardOutput.ts';
batchStandardOutput();
process.stdout.write('first\\n');
console.log('second');
writeSync(2, 'marker 1\\n');
setTimeout(() => {
  writeSync(2, 'marker 2\\n');
  process.stdout.write('third\\n');
  process.exit(0);
}, 200);
`;

it('holds standard output lines briefly and writes them together, in order, and all of them when the process exits', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rfh-stdout-'));
  const path = join(dir, 'out.txt');
  const file = await open(path, 'a');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', file.fd, file.fd] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    expect(code).toBe(0);
    expect(await readFile(path, 'utf8')).toBe('marker 1\nfirst\nsecond\nmarker 2\nthird\n');
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
});
