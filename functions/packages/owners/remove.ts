import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { removeOwner } from '../../../shared/packages/owners.js';
import { packageNameFromPath } from '../../../shared/packages/Package.js';

export const handler = defineHandler({
  route: 'DELETE /v1/packages/{name}/owners/{username}',
  async handle(input) {
    const name = packageNameFromPath(input.params);
    const owners = await removeOwner(input.deps, name, input.params.username ?? '', { actor: signedIn(input), sourceIp: input.sourceIp });
    return { status: 200, body: { name, owners } };
  },
});
