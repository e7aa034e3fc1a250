import type { MyHost } from '../api-types.ts';
import { CliError } from '../errors.ts';
import type { AccessHome } from '../home/access-home.ts';

/** "web-1:2222" → { host: "web-1", port: 2222 }; "[::1]:22" → { host: "::1", port: 22 }; no port → 22. */
export function splitAddress(address: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : 22 };
  const colon = address.lastIndexOf(':');
  // A bare IPv6 address has several colons and no port.
  if (colon > 0 && address.indexOf(':') === colon && /^\d+$/.test(address.slice(colon + 1))) {
    return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
  }
  return { host: address, port: 22 };
}

const jumpTarget = (g: { host: string; port: number }) => (g.host.includes(':') ? `[${g.host}]:${g.port}` : `${g.host}:${g.port}`);

/** ssh_config refuses nothing, so a name with spaces or quotes from the server must not become syntax. */
const safeToken = (value: string) => /^[A-Za-z0-9._:@%+\-[\]]+$/.test(value);

export interface SshConfigInput {
  home: AccessHome;
  hosts: readonly MyHost[];
  gateway: { host: string; port: number };
  /** Targets reached without the gateway: no ProxyJump. */
  direct: boolean;
}

/**
 * The file `Include`d from ~/.ssh/config: one block per host this person may reach, each
 * with the access key, certificate and known_hosts, so `ssh <login>@<host>` needs nothing else.
 * The identity options sit in each block rather than under `Host *`, which would change every
 * other ssh connection of the person too.
 */
export function renderSshConfig(input: SshConfigInput): string {
  const { home } = input;
  if (!input.direct && !safeToken(input.gateway.host)) {
    throw new CliError('ERR_BAD_GATEWAY', `the server named its gateway ${JSON.stringify(input.gateway.host.slice(0, 100))}, which cannot go in an ssh_config; tell its operator`);
  }
  const identity = [
    `  CertificateFile ${home.cert}`,
    `  IdentityFile ${home.key}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${home.knownHosts}`,
  ];
  const lines = [
    '# Written by "access login" and "access config"; rewritten at each login, do not edit.',
    `# Include it from ~/.ssh/config with: Include ${home.sshConfig}`,
  ];
  const skipped: string[] = [];
  for (const host of [...input.hosts].sort((a, b) => a.name.localeCompare(b.name))) {
    const target = splitAddress(host.address);
    if (!safeToken(host.name) || !safeToken(target.host)) {
      skipped.push(host.name);
      continue;
    }
    // Through the gateway, the host is asked for by its enrolled name (the gateway knows its
    // address); direct, by its address. Either way the host certificate names the host, so it
    // is checked against the name.
    const hostLines = input.direct ? [`  HostName ${target.host}`, `  Port ${target.port}`] : [`  HostName ${host.name}`];
    lines.push('', `Host ${host.name}`, ...hostLines, `  HostKeyAlias ${host.name}`);
    if (host.logins.length === 1 && safeToken(host.logins[0]!)) lines.push(`  User ${host.logins[0]!}`);
    if (!input.direct) lines.push(`  ProxyJump ${jumpTarget(input.gateway)}`);
    lines.push(...identity);
  }
  if (!input.direct) {
    // ProxyJump dials the gateway as its own ssh connection; it needs the same key and known_hosts.
    lines.push('', '# the gateway', `Host ${input.gateway.host}`, ...identity);
  }
  for (const name of skipped) lines.push('', `# skipped a host whose name or address is not a plain word: ${JSON.stringify(name)}`);
  return `${lines.join('\n')}\n`;
}
