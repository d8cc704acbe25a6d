import { packageView } from '../../shared/catalogue/catalogue.js';
import { packageNameFromPath } from '../../shared/packages/Package.js';
import { definePage } from '../../shared/web/definePage.js';
import { packagePage } from '../../shared/web/PackagePage.js';

export const handler = definePage({
  route: 'GET /packages/{name}',
  render: async ({ deps, params }) => packagePage(await packageView(deps, packageNameFromPath(params))),
});
