import { badRequest } from '../errors.ts';

/** Reading HTML form fields at the boundary: every value a bounded string, every problem a 400 that names the field. */

export type Form = Record<string, unknown>;

export const asForm = (body: unknown): Form => (typeof body === 'object' && body !== null ? (body as Form) : {});

/** A text field, trimmed; '' when absent. */
export function field(form: Form, name: string, label: string, max = 500): string {
  const value = form[name];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw badRequest('ERR_BAD_FORM', `${label}: expected text`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw badRequest('ERR_BAD_FORM', `${label} is too long (at most ${max} characters)`);
  return trimmed;
}

export function requiredField(form: Form, name: string, label: string, max = 500): string {
  const value = field(form, name, label, max);
  if (!value) throw badRequest('ERR_BAD_FORM', `${label} is required`);
  return value;
}

export const checkbox = (form: Form, name: string): boolean => form[name] === 'on' || form[name] === 'true';

/** `a, b c` → ['a', 'b', 'c']: commas or whitespace separate items. */
export function listField(form: Form, name: string, label: string): string[] {
  return field(form, name, label, 4000)
    .split(/[\s,]+/)
    .filter((item) => item.length > 0);
}

/** `env=prod, team=web` → { env: 'prod', team: 'web' }. */
export function labelsField(form: Form, name: string, label: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of listField(form, name, label)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw badRequest('ERR_BAD_FORM', `${label}: write labels as key=value, separated by commas (got ${JSON.stringify(pair.slice(0, 60))})`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/** `env=prod|staging, team=web` → { env: ['prod', 'staging'], team: ['web'] }; `*` matches any value. */
export function selectorField(form: Form, name: string, label: string): Record<string, string[]> {
  const selector: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(labelsField(form, name, label))) selector[key] = values.split('|').filter(Boolean);
  return selector;
}

export const selectorText = (selector: Record<string, readonly string[]>): string =>
  Object.entries(selector)
    .map(([k, v]) => `${k}=${v.join('|')}`)
    .join(', ');

/**
 * A GET form's values as an API query: only the named fields, empty ones dropped, and a
 * browser's `datetime-local` value (no zone) in since/until read as UTC, which the pages say.
 */
export function queryFromForm(query: unknown, names: readonly string[]): Record<string, string> {
  const form = asForm(query);
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = form[name];
    if (typeof value !== 'string' || value.trim() === '') continue;
    const trimmed = value.trim();
    out[name] = (name === 'since' || name === 'until') && /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(trimmed) ? `${trimmed}:00Z` : trimmed;
  }
  return out;
}
