/** Why a session ends when its engineer's connection went silent (half-open TCP, a sleeping laptop). */
export const CLIENT_STOPPED_ANSWERING = 'the client stopped answering';

export interface ClientAliveLimits {
  /** Silence (ms) after which the gateway asks the client whether it is there (keepalive@openssh.com). */
  clientAliveIntervalMs: number;
  /** Unanswered asks in a row after which the connection is dropped. */
  clientAliveCountMax: number;
}

/**
 * What ssh2's server needs to check a signed-in client is alive, as sshd's ClientAliveInterval
 * and ClientAliveCountMax: after `clientAliveIntervalMs` with nothing from the client it sends
 * keepalive@openssh.com with want-reply (any packet back resets the count), and after
 * `clientAliveCountMax` unanswered ones it raises a `client-timeout` error. These options are
 * ssh2's own (undocumented for the server, on by default at 15 s × 3); ssh2 then only
 * half-closes, which never completes on a half-open connection, so the caller ends it
 * (`isClientTimeout`).
 */
export function keepaliveOptions(limits: ClientAliveLimits): { keepaliveInterval: number; keepaliveCountMax: number } {
  return { keepaliveInterval: limits.clientAliveIntervalMs, keepaliveCountMax: limits.clientAliveCountMax };
}

/** The error ssh2's server raises when its keepalives went unanswered. */
export function isClientTimeout(error: Error): boolean {
  return (error as Error & { level?: unknown }).level === 'client-timeout';
}
