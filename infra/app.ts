/**
 * The CDK app entry (cdk.json: `npx tsx infra/app.ts`).
 *   npm run synth                       # dev, offline, no credentials
 *   npx cdk synth -c env=prod
 *   npm run deploy -- -c env=staging    # needs credentials and a bootstrapped account/region
 */
import { createApp } from './createApp.js';

const { app } = createApp();
app.synth();
