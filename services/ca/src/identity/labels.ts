import { badRequest } from '../errors.ts';

/** Label keys and values on hosts and in role selectors. */
export const LABEL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const MAX_LABELS = 64;

/** Which hosts a role reaches: label → allowed values, `['*']` for any value; `{ '*': ['*'] }` is every host. */
export type LabelSelector = Record<string, string[]>;

function checkLabel(value: string, what: string, code: string): void {
  if (!LABEL_PATTERN.test(value)) throw badRequest(code, `${what} "${value}" must be 1-63 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit`);
}

/** A host's labels: `{ env: 'prod', team: 'payments' }`. */
export function validateHostLabels(labels: unknown): Record<string, string> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw badRequest('ERR_BAD_LABELS', 'labels must be an object of label → value');
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw badRequest('ERR_BAD_LABELS', `a host has at most ${MAX_LABELS} labels`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : 1))) {
    checkLabel(key, 'the label key', 'ERR_BAD_LABELS');
    if (typeof value !== 'string') throw badRequest('ERR_BAD_LABELS', `the label ${key} must have a string value`);
    checkLabel(value, `the value of label ${key}`, 'ERR_BAD_LABELS');
    out[key] = value;
  }
  return out;
}

/** A role's selector: every key a label (or `*`), every value list non-empty, `*` alone when present. */
export function validateLabelSelector(selector: unknown): LabelSelector {
  if (typeof selector !== 'object' || selector === null || Array.isArray(selector)) throw badRequest('ERR_BAD_LABELS', 'host labels must be an object of label → list of values');
  const entries = Object.entries(selector);
  if (entries.length > MAX_LABELS) throw badRequest('ERR_BAD_LABELS', `a role names at most ${MAX_LABELS} labels`);
  const out: LabelSelector = {};
  for (const [key, values] of entries.sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (key !== '*') checkLabel(key, 'the label key', 'ERR_BAD_LABELS');
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) {
      throw badRequest('ERR_BAD_LABELS', `the label ${key} needs a non-empty list of values, or ["*"] for any`);
    }
    const unique = [...new Set(values as string[])].sort();
    if (unique.includes('*')) {
      if (unique.length > 1) throw badRequest('ERR_BAD_LABELS', `the label ${key} lists "*" with other values: "*" already allows every value`);
    } else {
      for (const v of unique) checkLabel(v, `a value of label ${key}`, 'ERR_BAD_LABELS');
    }
    if (key === '*' && unique[0] !== '*') throw badRequest('ERR_BAD_LABELS', 'the "*" key means every host and takes only ["*"]');
    out[key] = unique;
  }
  return out;
}

/**
 * True when the host carries every label the selector names, each with an allowed value.
 * An empty selector reaches no host (least privilege); `{ '*': ['*'] }` reaches every host.
 */
export function selectorMatches(selector: LabelSelector, hostLabels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  if (keys.length === 0) return false;
  return keys.every((key) => {
    if (key === '*') return true;
    const value = hostLabels[key];
    const allowed = selector[key] ?? [];
    return value !== undefined && (allowed.includes('*') || allowed.includes(value));
  });
}
