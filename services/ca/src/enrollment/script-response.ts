import type { DryRunResult, EnrollResult } from './enrollment.ts';

/**
 * The answer for the enrollment script, which has no JSON parser: one `keyword value` per
 * line, values without newlines. `cert <stem> <certificate>` per host key, `trusted <key>`
 * per upstream CA key. Anything after the value is the value; unknown keywords are ignored.
 */
export function scriptResponse(result: EnrollResult | DryRunResult): string {
  const lines = [`name ${result.host.name}`, `address ${result.host.address}`, `labels ${Object.entries(result.host.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-'}`];
  if ('dryRun' in result) {
    lines.push('dry-run yes', ...result.hostKeys.map((fp) => `host-key ${fp}`));
  } else {
    lines.push(
      `renew-after ${Math.floor(Date.parse(result.renew.after) / 1000)}`,
      ...result.trustedUserCaKeys.split('\n').filter(Boolean).map((k) => `trusted ${k}`),
      ...result.hostCertificates.map((c) => `cert ${c.stem} ${c.certificate}`),
    );
  }
  return `${lines.join('\n')}\n`;
}
