import type { FastifyRequest } from 'fastify';

/**
 * PostgreSQL's text and jsonb cannot hold U+0000: a NUL in any field would pass the shape
 * checks and fail in the database as a 500. So every route refuses one here, before its
 * handler runs, wherever it is: path, query string, body, or a field's name.
 */

/**
 * A refusal at the boundary, shaped like fastify's own (a `statusCode` below 500), so the
 * error handlers treat it as they treat a body fastify refused: a 400 with this code, and for
 * the signing routes a `cert.denied` audit event.
 */
export class InputRefused extends Error {
  readonly statusCode = 400;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputRefused';
  }
}

const printable = (name: string) => JSON.stringify(name.replace(/[^\x20-\x7e]/g, '?').slice(0, 60));

/** Where the first NUL is (`in "reason"`, `in a field name`), or null. Walks without recursion: a body may nest deeply. */
export function findNul(value: unknown): string | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, field] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return field ? `in ${printable(field)}` : 'in its text';
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes('\u0000')) return 'in a field name';
        stack.push([child, Array.isArray(v) ? field : key]);
      }
    }
  }
  return null;
}

/** A `preValidation` hook for the whole app. */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const parts: Array<[string, unknown]> = [['the path', request.params], ['the query string', request.query], ['the body', request.body]];
  for (const [where, value] of parts) {
    const at = findNul(value);
    if (at !== null) throw new InputRefused('ERR_NUL_CHARACTER', `${where} holds a NUL character (\\u0000) ${at}; no field accepts one`);
  }
}
