/**
 * The one error type the CA's code throws on purpose. `status` is the HTTP status to
 * answer with; `message` is safe to show to whoever asked; `code` is stable for scripts.
 */
export class AccessError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessError';
    this.code = code;
    this.status = status;
  }
}

export const badRequest = (code: string, message: string, cause?: unknown): AccessError =>
  new AccessError(code, 400, message, { cause });
export const forbidden = (code: string, message: string): AccessError => new AccessError(code, 403, message);
export const notFound = (code: string, message: string): AccessError => new AccessError(code, 404, message);
export const conflict = (code: string, message: string): AccessError => new AccessError(code, 409, message);

/** What a person is told while the CA cannot reach its database (503, and on the engineer's terminal at the gateway). */
export const DATABASE_UNAVAILABLE = 'the access service cannot reach its database right now; try again in a minute (operators: the CA log says why)';
