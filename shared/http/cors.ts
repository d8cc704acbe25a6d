import { configFromEnv } from '../config.js';

/**
 * One CORS policy for the middy stack, the local server's preflight answers and the API
 * Gateway corsPreflight configuration.
 */
export const CORS_POLICY = {
  allowHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match'],
  exposeHeaders: ['ETag', 'Retry-After', 'Location'],
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  maxAgeSeconds: 600,
} as const;

export function allowedOrigins(): string[] {
  return configFromEnv().corsOrigins;
}

/** The answer to an OPTIONS preflight for a known path. */
export function preflightHeaders(origin: string | undefined): Record<string, string> {
  const origins = allowedOrigins();
  const allow = origins.includes('*') ? '*' : origin && origins.includes(origin) ? origin : undefined;
  if (!allow) return {};
  return {
    'Access-Control-Allow-Origin': allow,
    'Access-Control-Allow-Methods': CORS_POLICY.allowMethods.join(', '),
    'Access-Control-Allow-Headers': CORS_POLICY.allowHeaders.join(', '),
    'Access-Control-Max-Age': String(CORS_POLICY.maxAgeSeconds),
    ...(allow === '*' ? {} : { Vary: 'Origin' }),
  };
}
