import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../../infra/createApp.js';
import type { RegistryStack } from '../../infra/RegistryStack.js';

export interface Synthesized {
  stack: RegistryStack;
  template: Template;
  /** Raw template JSON, for walking every resource. */
  json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }> };
  /** The nested stack of alarms and the dashboard. */
  monitoring: { template: Template; json: Synthesized['json'] };
  /** Unacknowledged cdk-nag findings, as `rule at construct path`. */
  nagFindings: string[];
}

/**
 * Synthesizes the app once for a context. Unless `bundle` is set, asset bundling is skipped
 * (CDK's own `aws:cdk:bundling-stacks` switch): the template is identical apart from asset
 * hashes, and esbuild does not run. cdk-nag runs as in `cdk synth` (a violation throws).
 */
export function synthesize(context: Record<string, unknown>, opts: { bundle?: boolean; outdir?: string } = {}): Synthesized {
  const outdir = opts.outdir ?? mkdtempSync(join(tmpdir(), 'rfh-cdk-'));
  const { app, stack } = createApp({
    outdir,
    context: { ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context },
  });
  const findings = () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(app);
    return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
  };
  let template: Template;
  try {
    template = Template.fromStack(stack);
  } catch (err) {
    throw new Error(`${(err as Error).message}\ncdk-nag findings:\n${findings().join('\n')}`);
  }
  // Run the checks directly as well (after synthesis prepared the tree), to list any finding.
  const nagFindings = findings();
  const monitoring = Template.fromStack(stack.monitoringStack);
  return {
    stack,
    template,
    json: template.toJSON() as Synthesized['json'],
    monitoring: { template: monitoring, json: monitoring.toJSON() as Synthesized['json'] },
    nagFindings,
  };
}

/** `{ Ref: id }` or `{ Fn::GetAtt: [id, ...] }` -> id. */
export function refId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return v.Ref;
    const att = v['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
  }
  return undefined;
}
