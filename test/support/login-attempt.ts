import { expect } from 'vitest';
import { runSsh, type SshResult, type SshRunOptions } from './ssh-client.ts';
import type { SshdHandle } from './sshd.ts';

export interface LoginAttempt extends SshResult {
  /** What sshd logged for this connection, from "Connection from" to its close. */
  log: string;
}

/** sshd's last line for a connection, whether it was refused, dropped by the client or ended normally. */
const CONNECTION_END = /^(Connection closed by|Disconnected from|Connection reset by|Received disconnect from .*\[preauth\])/;

/**
 * Runs `ssh` against `sshd` and returns the client's result with the server log lines of
 * that one connection. Attempts inside a test file must run one at a time (vitest's
 * default within a file); parallel files each have their own sshd.
 */
export async function attemptLogin(sshd: SshdHandle, options: Omit<SshRunOptions, 'port'>): Promise<LoginAttempt> {
  const mark = sshd.logMark();
  const result = await runSsh({ port: sshd.port, ...options });
  await sshd.waitForLog(CONNECTION_END, 10_000, mark);
  return { ...result, log: sshd.logText(mark) };
}

/** For building log regexes from fingerprints, paths and key ids. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export interface RefusalExpectation {
  login: string;
  /** The certificate's key id and serial, as sshd prints them in "Failed publickey … ID x (serial n)". */
  keyId: string;
  serial: string | number | bigint;
  /** The line sshd logs with the reason. */
  reason: RegExp;
}

/**
 * The client failed to authenticate (exit 255, "Permission denied (publickey)") and sshd
 * refused this very certificate for the given reason, accepting nothing.
 */
export function expectRefused(attempt: LoginAttempt, e: RefusalExpectation): void {
  expect(attempt.code, `ssh stderr: ${attempt.stderr}\nsshd log:\n${attempt.log}`).toBe(255);
  expect(attempt.stderr).toContain('Permission denied (publickey)');
  expect(attempt.stdout).toBe('');
  expect(attempt.log).toMatch(e.reason);
  expect(attempt.log).toMatch(
    new RegExp(
      `^Failed publickey for ${escapeRegex(e.login)} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519-CERT SHA256:\\S+ ID ${escapeRegex(e.keyId)} \\(serial ${e.serial}\\) CA ED25519 SHA256:\\S+$`,
      'm',
    ),
  );
  expect(attempt.log).not.toMatch(/^Accepted (publickey|certificate)/m);
}

/** Logged in (exit 0) with this certificate, and sshd says which one. */
export function expectAccepted(attempt: LoginAttempt, e: Omit<RefusalExpectation, 'reason'> & { caFingerprint: string }): void {
  expect(attempt.code, `ssh stderr: ${attempt.stderr}\nsshd log:\n${attempt.log}`).toBe(0);
  expect(attempt.log).toMatch(
    new RegExp(
      `^Accepted publickey for ${escapeRegex(e.login)} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519-CERT SHA256:\\S+ ID ${escapeRegex(e.keyId)} \\(serial ${e.serial}\\) CA ED25519 ${escapeRegex(e.caFingerprint)}$`,
      'm',
    ),
  );
}
