import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { packageNameFromPath } from '../../../shared/packages/Package.js';

export const handler = defineHandler({
  route: 'DELETE /v1/packages/{name}/owners/{username}',
  async handle(input) {
    const name = packageNameFromPath(input.params);
    const owners = await input.deps.packages.removeOwner(name, signedIn(input), input.params.username ?? '');
    return { status: 200, body: { name, owners } };
  },
});
