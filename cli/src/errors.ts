/**
 * Errors the CLI raises on purpose: each carries a message for a person, which says what to
 * do next, and a stable code. Anything else reaching main() is a bug or the environment.
 */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, { cause: options?.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** The server answered with an error: its code and message, and our next step. */
export class ApiError extends CliError {
  readonly status: number;
  readonly serverCode: string;
  readonly serverMessage: string;

  constructor(status: number, serverCode: string, serverMessage: string, nextStep: string) {
    super('ERR_API', `${serverMessage} (${serverCode}, HTTP ${status})${nextStep ? `\n${nextStep}` : ''}`);
    this.name = 'ApiError';
    this.status = status;
    this.serverCode = serverCode;
    this.serverMessage = serverMessage;
  }
}

export class UnreachableError extends CliError {
  constructor(server: string, cause: unknown) {
    const reason = describeNetworkCause(cause);
    super('ERR_UNREACHABLE', `the access server is unreachable at ${server}${reason ? ` (${reason})` : ''}; check the URL (--server or ACCESS_SERVER) and your network`, { cause });
    this.name = 'UnreachableError';
  }
}

function describeNetworkCause(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (inner?.code) return inner.code;
  if (cause instanceof Error && cause.name === 'TimeoutError') return 'no answer in time';
  return inner?.message ?? '';
}

export function describeError(error: unknown, env: NodeJS.ProcessEnv): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof Error && error.name === 'SshCertError') return error.message;
  const detail = env['ACCESS_DEBUG'] ? `\n${(error as Error).stack ?? String(error)}` : ' (set ACCESS_DEBUG=1 for details)';
  return `${error instanceof Error ? error.message : String(error)}${detail}`;
}
