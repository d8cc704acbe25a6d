import { SERVICE_NAME } from './config.js';
import type { Dependencies } from './runtime/Dependencies.js';

const PROBE_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<void>): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

/** Probes every data store in parallel, each with a timeout. */
export async function checkHealth(deps: Dependencies) {
  const [postgres, dynamodb, blobs] = await Promise.all([
    probe(() => deps.db.ping()),
    probe(() => deps.sessions.ping()),
    probe(() => deps.blobs.ping()),
  ]);
  const healthy = postgres === 'ok' && dynamodb === 'ok' && blobs === 'ok';
  return {
    healthy,
    body: {
      status: healthy ? 'ok' : 'unavailable',
      service: SERVICE_NAME,
      version: deps.config.serviceVersion,
      stores: { postgres, dynamodb, blobs },
      circuits: {
        postgres: deps.guards.postgres.state,
        dynamodb: deps.guards.dynamodb.state,
        blobs: deps.guards.blobs.state,
      },
      ...(healthy ? {} : { error: 'A data store is unreachable' }),
    },
  };
}
