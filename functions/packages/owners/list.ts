import { notFound } from '../../../shared/errors.js';
import { defineHandler } from '../../../shared/http/defineHandler.js';
import { packageNameFromPath } from '../../../shared/packages/Package.js';
import { viewerOf } from '../../../shared/registries/Viewer.js';

export const handler = defineHandler({
  route: 'GET /v1/packages/{name}/owners',
  async handle({ deps, params, principal }) {
    const name = packageNameFromPath(params);
    const owners = await deps.packages.listOwners(name, viewerOf(principal));
    if (!owners) throw notFound(`Package ${name} not found`);
    return { status: 200, body: { name, owners } };
  },
});
