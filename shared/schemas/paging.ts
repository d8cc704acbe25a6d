import * as z from 'zod/mini';

/** `?limit=&offset=` of the paged listings (users, audit log). */
export const pageQuery = z.object({
  limit: z._default(
    z.pipe(
      z.coerce.number({ error: 'must be a number' }),
      z.int({ error: 'must be a whole number' }).check(z.minimum(1, 'must be at least 1'), z.maximum(200, 'must be at most 200')),
    ),
    50,
  ),
  offset: z._default(
    z.pipe(z.coerce.number({ error: 'must be a number' }), z.int({ error: 'must be a whole number' }).check(z.minimum(0, 'must be 0 or more'))),
    0,
  ),
});
