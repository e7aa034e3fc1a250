// PostgreSQL refuses U+0000 in text and jsonb, and lone UTF-16 surrogates in jsonb. Event
// details often carry what a client sent (a user name on a refused login): refusing the
// whole event would let a client keep its attempts out of the log, so these characters are
// replaced with U+FFFD instead, before hashing.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is matched here
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

/** The same JSON value (as JSON.parse returns) with every string and key made storable. */
export function storableJsonValue(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJsonValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableText(key), storableJsonValue(item)]));
  }
  return value;
}
