import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf, endedSessionByCommand, recordedText, recordingOf } from '../support/gateway-records.ts';
import { startGatewayStack, type Engineer, type GatewayStack, type Target } from '../support/gateway-stack.ts';
import { run, runBinary, runOk, type RunOptions, type RunResult } from '../support/process.ts';
import { SSH } from '../support/ssh-client.ts';
import { keygenList, keygenSign } from '../support/ssh-keygen.ts';
import { startSshd, type SshdHandle } from '../support/sshd.ts';
import { makeTempDir, removeDir } from '../support/temp-dir.ts';

const LOGIN = 'gwexec';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
/** Makes a command unique, so its session row can be found by it. */
const tagged = (command: string) => `: ${randomBytes(4).toString('hex')}; ${command}`;
/** Options both clients share: no user configuration beyond the file given, quiet, no prompts. */
const QUIET = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'];

/**
 * Non-interactive sessions (`ssh host command`) from the real OpenSSH client through the
 * gateway to a real sshd. Where OpenSSH has a behaviour of its own (exit statuses, signals,
 * environment), the same command also runs against an sshd without the gateway, and the
 * gateway must not be told apart from it.
 */
describe('exec through the gateway', () => {
  let stack: GatewayStack;
  let target: Target;
  let alice: Engineer;
  let direct: { sshd: SshdHandle; dir: string; args: string[] };

  const db = () => stack.server.services.database.db;
  const viaGateway = (command: string, options?: RunOptions, sshOptions: string[] = []) => alice.ssh([...sshOptions, `${LOGIN}@web-1`, command], options);
  /** The same login on an sshd configured like the target but trusting a CA of its own, reached without the gateway. */
  const withoutGateway = (command: string, options?: RunOptions, sshOptions: string[] = []): Promise<RunResult> =>
    run(SSH, [...direct.args, ...sshOptions, `${LOGIN}@127.0.0.1`, command], { timeoutMs: 60_000, ...options });

  beforeAll(async () => {
    stack = await startGatewayStack();
    target = await stack.addTarget('web-1');
    alice = await stack.addEngineer('exec-alice@example.com', [LOGIN]);

    const dir = makeTempDir('gw-direct');
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'direct-ca', '-f', join(dir, 'ca')]);
    await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'direct-user', '-f', join(dir, 'key')]);
    await keygenSign({ caKeyPath: join(dir, 'ca'), publicKeyPath: join(dir, 'key.pub'), keyId: 'direct', principals: [LOGIN], validity: '-5m:+1h' });
    const sshd = await startSshd({ trustedUserCaKeys: readFileSync(join(dir, 'ca.pub'), 'utf8'), extraConfig: ['AcceptEnv LANG LC_* ACCESS_TEST_*'] });
    direct = { sshd, dir, args: ['-F', '/dev/null', '-i', join(dir, 'key'), '-o', 'IdentitiesOnly=yes', ...QUIET, '-p', String(sshd.port)] };
  }, 120_000);

  afterAll(async () => {
    await direct?.sshd.stop();
    if (direct) removeDir(direct.dir);
    await stack?.stop();
  });

  it('pipes a few MB of stdin to the command intact', { timeout: 60_000 }, async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const r = await viaGateway('sha256sum', { input: data });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`${sha256(data)}  -\n`);
  });

  it('returns a few MB of binary output intact', { timeout: 60_000 }, async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const r = await runBinary(SSH, ['-F', alice.sshConfig, `${LOGIN}@web-1`, 'cat'], { input: data, timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(sha256(r.stdout)).toBe(sha256(data));
  });

  // Regression: OpenSSH sends stdin right after the exec request, without waiting for the
  // reply, and ssh2 dropped what came before the gateway accepted the exec (which it does
  // only once the target has), so small inputs arrived empty and large ones without their start.
  it('keeps stdin that arrives before the target has accepted the exec', { timeout: 60_000 }, async () => {
    for (const size of [1, 1000, 300_000]) {
      const r = await viaGateway('wc -c', { input: Buffer.alloc(size, 'x') });
      expect(r.stdout.trim()).toBe(String(size));
    }
  });

  // Regression: when both waited for the engineer's window, ssh2 resumed only stdout, and
  // stderr never went out (the session hung); it also sent a finished write's data again.
  it('keeps a few MB of stdout and stderr apart, each complete and in order', { timeout: 90_000 }, async () => {
    const lines = 300_000;
    const expected = (stream: string) => Array.from({ length: lines }, (_, i) => `${stream}-${i + 1}\n`).join('');
    const r = await viaGateway(`(seq ${lines} | sed 's/^/err-/' >&2) & seq ${lines} | sed 's/^/out-/'; wait`);
    expect(r.code).toBe(0);
    expect(r.stdout === expected('out')).toBe(true);
    expect(r.stderr === expected('err')).toBe(true);
  });

  // Regression: output still waiting for the engineer's window when the command ended held
  // the exit status back for good (the gateway waited for a 'drain' that never came).
  it('sends the exit status after output the engineer was slow to take', { timeout: 60_000 }, async () => {
    const script = '{ ssh -F "$0" "$1" "head -c 3000000 /dev/zero; exit 5"; echo "ssh exited $?" >&2; } | { sleep 2; wc -c; }';
    const r = await run('sh', ['-c', script, alice.sshConfig, `${LOGIN}@web-1`], { timeoutMs: 50_000 });
    expect(r).toMatchObject({ code: 0, stdout: '3000000\n', stderr: 'ssh exited 5\n' });
  });

  it.each([0, 3, 255])('ends with the remote exit status %i, as without the gateway', { timeout: 60_000 }, async (status) => {
    const command = tagged(`echo before-exit; exit ${status}`);
    const [gateway, plain] = [await viaGateway(command), await withoutGateway(command)];
    expect(gateway).toEqual({ ...plain, stdout: 'before-exit\n' });
    expect(gateway.code).toBe(status);
    const row = await endedSessionByCommand(db(), command);
    expect(row).toMatchObject({ kind: 'exec', exit_status: status, exit_signal: null, end_reason: null });
  });

  it('reports a command killed by a signal as OpenSSH does: status 255 and nothing said', { timeout: 60_000 }, async () => {
    const command = tagged('kill -TERM $$');
    const [gateway, plain] = [await viaGateway(command), await withoutGateway(command)];
    expect(plain).toMatchObject({ code: 255, stdout: '', stderr: '' });
    expect(gateway).toEqual(plain);
    // Recorded under the signal's SSH name (RFC 4254 6.10), as `access sessions ls` expects it.
    const row = await endedSessionByCommand(db(), command);
    expect(row).toMatchObject({ exit_status: null, exit_signal: 'TERM' });
    const [end] = (await auditEventsOf(db(), 'session.end', alice.userId)).filter((e) => e.details['sessionId'] === row.id);
    expect(end?.details).toMatchObject({ exitStatus: null, exitSignal: 'TERM' });
  });

  it("passes environment variables on, and the target's AcceptEnv decides, as without the gateway", { timeout: 60_000 }, async () => {
    const env = { ...process.env, ACCESS_TEST_SENT: 'from SendEnv' };
    const options = ['-o', 'SetEnv=ACCESS_TEST_X=1 NOT_ACCEPTED=2', '-o', 'SendEnv=ACCESS_TEST_SENT'];
    const command = 'printenv ACCESS_TEST_X ACCESS_TEST_SENT; echo "[${NOT_ACCEPTED-unset}]"';
    const gateway = await viaGateway(command, { env }, options);
    expect(gateway).toEqual(await withoutGateway(command, { env }, options));
    expect(gateway.stdout).toBe('1\nfrom SendEnv\n[unset]\n');
  });

  it('records the command, stdin as i, stdout as o and stderr as e', { timeout: 60_000 }, async () => {
    const command = tagged('cat; echo to-stderr >&2; echo to-stdout; exit 7');
    const input = 'line one\nline two, ünïcode\n';
    const r = await viaGateway(command, { input });
    expect(r).toMatchObject({ code: 7, stdout: `${input}to-stdout\n`, stderr: 'to-stderr\n' });

    const row = await endedSessionByCommand(db(), command);
    expect(row).toMatchObject({ kind: 'exec', command, login: LOGIN, host: 'web-1', user_email: alice.email, term: null, exit_status: 7 });
    expect(Number(row.bytes_in)).toBe(Buffer.byteLength(input));
    expect(Number(row.bytes_out)).toBe(Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr));

    const events = await recordingOf(db(), row.id);
    expect(recordedText(events, 'i')).toBe(input);
    expect(recordedText(events, 'o')).toBe(r.stdout);
    expect(recordedText(events, 'e')).toBe(r.stderr);
    const times = events.map((e) => e[0]);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const ofSession = async (type: string) => (await auditEventsOf(db(), type, alice.userId)).filter((e) => e.details['sessionId'] === row.id);
    expect((await ofSession('session.exec')).map((e) => e.details)).toEqual([expect.objectContaining({ command, login: LOGIN, host: 'web-1' })]);
    expect(await ofSession('session.start')).toHaveLength(1);
    expect((await ofSession('session.end'))[0]?.details).toMatchObject({ exitStatus: 7 });
  });

  it("refuses the engineer's own certificate on the target itself: it trusts only the upstream CA", { timeout: 60_000 }, async () => {
    const key = join(alice.home, 'key');
    // The certificate names the login, so the only thing wrong with it on the target is its CA.
    expect(await keygenList(`${key}-cert.pub`)).toMatch(new RegExp(`Principals:\\s*\\n(\\s+\\S+\\n)*\\s+${LOGIN}\\n`));
    const mark = target.sshd.logMark();
    const r = await run(SSH, ['-F', '/dev/null', '-i', key, '-o', `CertificateFile=${key}-cert.pub`, '-o', 'IdentitiesOnly=yes', ...QUIET, '-p', String(target.sshd.port), `${LOGIN}@127.0.0.1`, 'echo bypassed']);
    expect(r).toMatchObject({ code: 255, stdout: '' });
    expect(r.stderr).toContain('Permission denied (publickey)');
    await target.sshd.waitForLog(new RegExp(`Failed publickey for ${LOGIN} .* ID ${alice.email} `), 5000, mark);
    expect(target.sshd.logText(mark)).not.toMatch(/Accepted/);

    // The same key and certificate through the gateway are fine.
    expect((await viaGateway('echo through')).stdout).toBe('through\n');
  });
});
