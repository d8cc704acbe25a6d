import { searchView } from '../../shared/catalogue/catalogue.js';
import { definePage } from '../../shared/web/definePage.js';
import { searchPage } from '../../shared/web/SearchPage.js';

export const handler = definePage({
  route: 'GET /search',
  render: async ({ deps, query }) => searchPage(await searchView(deps, query)),
});
