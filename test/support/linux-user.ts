import { run, runOk, sleep } from './process.ts';

const NAME = /^[a-z_][a-z0-9_-]{0,30}$/;

/**
 * Makes sure a Linux login `name` exists with a home and a shell, and that sshd may log it
 * in with a key: `useradd` leaves the password field `!` (locked), and with UsePAM=no
 * OpenSSH refuses a locked account even for public keys, so it is set to `*` (no password
 * can match, but the account is not locked). Idempotent; users are left in place.
 */
export async function ensureUser(name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`not a portable user name: ${name}`);
  const exists = await run('id', ['-u', name]);
  if (exists.code !== 0) {
    // Exit status 9 (name in use) means another test file created it meanwhile: fine.
    await withPasswdLockRetry(() => run('useradd', ['-m', '-s', '/bin/sh', name]), name);
  }
  await withPasswdLockRetry(() => run('usermod', ['-p', '*', name]), name);
  await runOk('id', ['-u', name]);
}

/** Parallel test files may edit /etc/passwd at once; useradd and usermod then fail to get the lock. */
async function withPasswdLockRetry(
  step: () => Promise<{ code: number | null; stderr: string }>,
  name: string,
): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = await step();
    if (result.code === 0 || result.code === 9) return;
    last = result.stderr;
    if (!/lock|try again/i.test(result.stderr)) break;
    await sleep(100 + Math.floor(Math.random() * 200));
  }
  throw new Error(`could not prepare Linux user ${name}: ${last}`);
}
