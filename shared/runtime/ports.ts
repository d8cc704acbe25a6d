import type { Dependencies } from './Dependencies.js';

/**
 * The stores (and costly services) a route may use besides what every route has (configuration,
 * the DynamoDB sessions table for authentication, token signing, the side-effect queue). A route
 * entry lists the ones its use case needs in `uses`; a Lambda function then builds, and its
 * bundle then holds, only those adapters:
 * - postgres: the database and the repositories on it (pg, or the RDS Data API client)
 * - blobs: reading archives: download and the health probe (a light read-only S3 adapter, no S3 client)
 * - blobWrites: the whole archive store, writes included (the S3 client): publishing
 * - passwords: argon2 hashing (a native module)
 */
export const PORTS = ['postgres', 'blobs', 'blobWrites', 'passwords'] as const;
export type Port = (typeof PORTS)[number];

/** Which fields of Dependencies each port provides. */
export const PORT_FIELDS = {
  postgres: ['db', 'users', 'packages', 'registries', 'revocations'],
  blobs: ['blobs'],
  blobWrites: ['blobWrites'],
  passwords: ['passwords'],
} as const satisfies Record<Port, ReadonlyArray<keyof Dependencies>>;

class UndeclaredPortError extends Error {
  constructor(owner: string, field: string, port: Port) {
    super(`${owner} uses deps.${field}, but its route entry does not list "${port}" in uses (shared/routes.ts)`);
    this.name = 'UndeclaredPortError';
  }
}

/**
 * The dependencies as a route may see them: using a port its entry does not list fails at once,
 * in every runtime (locally too, where every port exists), so tests catch a route that would find
 * the adapter missing from its Lambda bundle.
 */
export function restrictTo(deps: Dependencies, uses: readonly Port[], owner: string): Dependencies {
  const denied = new Map<PropertyKey, Port>();
  for (const port of PORTS) {
    if (!uses.includes(port)) for (const field of PORT_FIELDS[port]) denied.set(field, port);
  }
  if (denied.size === 0) return deps;
  return new Proxy(deps, {
    get(target, prop, receiver) {
      const port = denied.get(prop);
      if (port) throw new UndeclaredPortError(owner, String(prop), port);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

/** Stands in for an adapter a function was built without; any use is a programming error. */
export function absentPort<T extends object>(port: Port): T {
  return new Proxy({} as T, {
    get(_target, prop) {
      throw new Error(`This function was built without the "${port}" port (use of .${String(prop)})`);
    },
  });
}
