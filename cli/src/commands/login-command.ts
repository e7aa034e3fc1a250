import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import type { LoginResult, MyHost } from '../api-types.ts';
import { CliError, describeError } from '../errors.ts';
import { formatDuration, parseDuration } from '../format/duration.ts';
import { accessHome } from '../home/access-home.ts';
import { readSession, resolveServer } from '../home/session-file.ts';
import { print, printJson, say, type CliIo } from '../io.ts';
import { browserLogin } from '../login/browser-login.ts';
import { headlessLogin } from '../login/headless-login.ts';
import { newLoginKey, newLoginSecret } from '../login/keypair.ts';
import { saveLogin, type SavedLogin } from '../login/save-login.ts';
import { offerInclude } from '../ssh/include-step.ts';

interface LoginOptions {
  server?: string;
  headless?: boolean;
  browser: boolean;
  timeout: string;
  direct?: boolean;
  sshConfig: boolean;
  json?: boolean;
}

/** Hosts for ssh_config; a failure here must not undo a login that worked. */
async function hostsFor(io: CliIo, server: string, result: LoginResult, warnings: string[]): Promise<MyHost[]> {
  if (result.certificate === null) return [];
  try {
    return await new ApiClient({ server, token: result.apiToken, tokenSource: 'session', fetch: io.fetch }).myHosts();
  } catch (error) {
    warnings.push(`could not list your hosts for ssh_config (${describeError(error, io.env).split('\n')[0]}); run "access config" later`);
    return [];
  }
}

function summary(io: CliIo, saved: SavedLogin, hosts: readonly MyHost[]): void {
  const out = print(io);
  const { session, certificate } = saved;
  const who = session.user.displayName ? `${session.user.displayName} <${session.user.email}>` : session.user.email;
  const left = (Date.parse(session.validBefore) - io.now().getTime()) / 1000;
  out(`Signed in as ${who}`);
  out(`  logins:      ${session.principals.join(', ') || '-'}`);
  out(`  roles:       ${session.roles.join(', ') || '-'}`);
  out(`  valid until: ${session.validBefore} (${formatDuration(left)} left)`);
  if (!certificate) return;
  const first = hosts.find((h) => h.logins.length > 0);
  out(first ? `Next: ssh ${first.logins[0]!}@${first.name}   ("access ls" lists every host you may reach)` : 'Next: "access ls" lists the hosts you may reach');
}

export function registerLoginCommand(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('sign in (browser single sign-on) and get a short-lived SSH certificate for a new key made on this machine')
    .option('--server <url>', 'the access server, e.g. https://access.example.com (env ACCESS_SERVER; default: the last one)')
    .option('--headless', 'no browser on this machine: print a URL to open on any device, then wait for the approval')
    .option('--no-browser', 'print the sign-in URL but do not open a browser')
    .option('--timeout <duration>', 'how long to wait for the sign-in', '5m')
    .option('--direct', 'targets are reached without the gateway: no ProxyJump in ssh_config (env ACCESS_DIRECT=1)')
    .option('--no-ssh-config', 'do not offer to add the Include line to ~/.ssh/config')
    .option('--json', 'print the login result as JSON (never the private key or the API token)')
    .action(async (o: LoginOptions) => {
      const home = accessHome(io.env);
      const previous = readSessionQuietly(home);
      const server = resolveServer(o.server, io.env, previous);
      const timeoutMs = parseDuration(o.timeout, '--timeout') * 1000;
      const direct = Boolean(o.direct) || io.env['ACCESS_DIRECT'] === '1';
      const key = newLoginKey();
      const { secret, secretHash } = newLoginSecret();
      const api = new ApiClient({ server, fetch: io.fetch });
      const flow = { io, api, key, secret, secretHash, timeoutMs };
      const result = o.headless ? await headlessLogin(flow) : await browserLogin({ ...flow, openBrowser: o.browser });

      const warnings: string[] = [];
      const hosts = await hostsFor(io, server, result, warnings);
      const saved = await saveLogin({ io, home, server, key, result, hosts, direct, includeDeclined: previous?.includeDeclined === true });
      warnings.push(...saved.warnings);
      for (const w of warnings) say(io)(`warning: ${w}`);
      if (saved.certificate && o.sshConfig && !o.json) await offerInclude(io, home, saved.session);

      if (o.json) printJson(io, loginJson(saved, hosts, home.dir));
      else summary(io, saved, hosts);
      if (!saved.certificate) {
        throw new CliError(
          'ERR_NO_LOGINS',
          `no SSH certificate: your roles (${saved.session.roles.join(', ') || 'none'}) grant no login on any host. Your API session is saved for the commands your roles allow; ask an admin for a grant with logins to use ssh.`,
        );
      }
    });
}

/** A previous session that cannot be read must not stop a new login, which replaces it. */
function readSessionQuietly(home: ReturnType<typeof accessHome>) {
  try {
    return readSession(home);
  } catch {
    return null;
  }
}

/** What --json prints: everything a script needs, no secret (no private key, no API token). */
function loginJson(saved: SavedLogin, hosts: readonly MyHost[], dir: string) {
  const { apiToken: _secret, includeDeclined: _pref, ...session } = saved.session;
  return {
    ...session,
    serial: saved.certificate?.serial.toString() ?? null,
    accessHome: dir,
    hosts: hosts.map((h) => ({ name: h.name, address: h.address, logins: h.logins })),
  };
}
