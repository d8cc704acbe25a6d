import { versionView } from '../../shared/catalogue/catalogue.js';
import { packageNameFromPath } from '../../shared/packages/Package.js';
import { definePage } from '../../shared/web/definePage.js';
import { versionPage } from '../../shared/web/PackagePage.js';

export const handler = definePage({
  route: 'GET /packages/{name}/versions/{version}',
  render: async ({ deps, params }) => versionPage(await versionView(deps, packageNameFromPath(params), params.version ?? '')),
});
