import { notFound } from '../../shared/errors.js';
import { definePage } from '../../shared/web/definePage.js';

/** Whatever no other route serves: under /v1/ the API's JSON 404, elsewhere a page with a search box. */
export const handler = definePage({
  route: 'GET /{proxy+}',
  render: ({ event }) =>
    Promise.reject(
      notFound(event.rawPath.startsWith('/v1/') ? `No endpoint GET ${event.rawPath}` : 'There is no page at this address.'),
    ),
});
