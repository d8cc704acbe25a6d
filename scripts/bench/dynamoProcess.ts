import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * dynalite in a process of its own, in memory: DynamoDB is a separate service in AWS, so the
 * bench keeps the emulator's work off the API server's event loop (the cores are still shared).
 */
export async function startDynamoProcess(): Promise<{ endpoint: string; stop(): void }> {
  const script = `const s = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`dynalite exited (${code})`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}
