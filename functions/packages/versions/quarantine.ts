import { defineHandler, signedIn } from '../../../shared/http/defineHandler.js';
import { packageNameFromPath } from '../../../shared/packages/Package.js';
import { quarantineVersion } from '../../../shared/packages/versionMarks.js';

export const handler = defineHandler({
  route: 'PUT /v1/packages/{name}/versions/{version}/quarantine',
  async handle(input) {
    const name = packageNameFromPath(input.params);
    const body = await quarantineVersion(input.deps, name, input.params.version ?? '', input.body.reason, { actor: signedIn(input), sourceIp: input.sourceIp });
    return { status: 200, body };
  },
});
