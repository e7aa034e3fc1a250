import { markdownTable } from '../lib/markdown-table.ts';
import type { LatencySummary } from '../lib/stats.ts';
import { ms } from '../lib/stats.ts';
import type { IdleSessionsResult } from './idle-sessions.ts';
import type { SetupResult, TransferResult } from './openssh-runs.ts';
import { PAYLOAD_LABELS, type PayloadKind } from './payload-files.ts';
import { median, percentile } from './percentiles.ts';
import { PATH_LABELS, PATH_NAMES, type PathName } from './ssh2-paths.ts';

export const TARGETS = { throughputRatio: 0.5, setupRatio: 2, addedEchoP99Ms: 2, perSessionKib: 1024 };

export interface Measurements {
  transfers: Record<PayloadKind, Record<PathName, TransferResult>>;
  /** By path name, and `<path>-curve25519` for the OpenSSH paths with the gateway's key exchange. */
  setup: Record<string, SetupResult>;
  echo: Record<PathName, LatencySummary>;
  idle: IdleSessionsResult;
  idleRequested: number;
}

const mbs = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '—');
const mib = (kib: number) => (kib / 1024).toFixed(1);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

export function transferTable(transfers: Measurements['transfers']): string {
  const runs = (values: number[]) => values.map(mbs).join(', ');
  const cpu = (values: number[]) => `${median(values).toFixed(0)} %`;
  const rows = (['binary', 'text'] as const).flatMap((kind) =>
    PATH_NAMES.map((p) => {
      const r = transfers[kind][p];
      return [PATH_LABELS[p], kind, mbs(median(r.upload)), runs(r.upload), mbs(median(r.download)), runs(r.download), `${cpu(r.uploadCpu)} / ${cpu(r.downloadCpu)}`, `${r.hungAtEnd} of ${r.upload.length + r.download.length}`];
    }),
  );
  const legend = (['binary', 'text'] as const).map((kind) => `${kind}: ${PAYLOAD_LABELS[kind]}`).join('; ');
  return `${markdownTable(['Path', 'Content', 'Upload MB/s (median)', 'Upload runs', 'Download MB/s (median)', 'Download runs', 'access-server CPU up / down', 'Hung after the last byte'], rows)}\n\n${legend}`;
}

const SETUP_ROWS: ReadonlyArray<[key: string, label: string]> = [
  ...PATH_NAMES.map((p): [string, string] => [p, PATH_LABELS[p]]),
  ['bastion-curve25519', `${PATH_LABELS.bastion}, curve25519 key exchange`],
  ['direct-curve25519', `${PATH_LABELS.direct}, curve25519 key exchange`],
];

export function setupTable(setup: Measurements['setup']): string {
  return markdownTable(
    ['Path', 'Runs', 'p50 ms', 'p95 ms', 'max ms', 'Exit status lost'],
    SETUP_ROWS.filter(([key]) => setup[key]).map(([key, label]) => {
      const s = setup[key]!;
      return [label, String(s.wallMs.length), ms(percentile(s.wallMs, 50)), ms(percentile(s.wallMs, 95)), ms(percentile(s.wallMs, 100)), String(s.lostExitStatus)];
    }),
  );
}

export function echoTable(echo: Measurements['echo']): string {
  const added = (p: PathName, key: 'p50' | 'p99') => ms(echo[p][key] - echo.direct[key]);
  return markdownTable(
    ['Path', 'Keystrokes', 'p50 ms', 'p99 ms', 'max ms', 'added p50 ms (vs direct)', 'added p99 ms (vs direct)'],
    PATH_NAMES.map((p) => [PATH_LABELS[p], String(echo[p].count), ms(echo[p].p50), ms(echo[p].p99), ms(echo[p].max), added(p, 'p50'), added(p, 'p99')]),
  );
}

export function idleTable(r: IdleSessionsResult): string {
  const delta = r.after.rssKib - r.before.rssKib;
  return markdownTable(
    ['Path', 'Idle sessions open', 'Failed', 'RSS before MiB', 'RSS after MiB', 'Δ RSS MiB', 'Δ RssAnon MiB', 'KiB per session (Δ ÷ N)', 'KiB per session (slope)', 'Opening took'],
    [
      [
        PATH_LABELS.gateway,
        String(r.opened),
        String(r.errors),
        mib(r.before.rssKib),
        mib(r.after.rssKib),
        mib(delta),
        mib(r.after.anonKib - r.before.anonKib),
        (delta / Math.max(1, r.opened)).toFixed(0),
        r.slopeKib.toFixed(0),
        `${r.openSeconds.toFixed(1)} s (${(r.opened / r.openSeconds).toFixed(0)}/s)`,
      ],
    ],
  );
}

/** Each target of the issue, what was measured, and whether it is met. */
export function targetsTable(m: Measurements): string {
  const rows: string[][] = [];
  for (const kind of ['binary', 'text'] as const) {
    for (const direction of ['upload', 'download'] as const) {
      const gateway = median(m.transfers[kind].gateway[direction]);
      const bastion = median(m.transfers[kind].bastion[direction]);
      const ratio = gateway / bastion;
      rows.push([`${direction} throughput (${kind}) ≥ ${TARGETS.throughputRatio}× the OpenSSH bastion`, `${ratio.toFixed(2)}× (${mbs(gateway)} vs ${mbs(bastion)} MB/s)`, verdict(ratio >= TARGETS.throughputRatio)]);
    }
  }
  const p50 = (key: string) => percentile(m.setup[key]?.wallMs ?? [], 50);
  const p95 = (key: string) => percentile(m.setup[key]?.wallMs ?? [], 95);
  const setupRatio = p50('gateway') / p50('bastion');
  rows.push([
    `session setup p50 ≤ ${TARGETS.setupRatio}× the OpenSSH bastion`,
    `${setupRatio.toFixed(2)}× (${ms(p50('gateway'))} vs ${ms(p50('bastion'))} ms; p95 ${ms(p95('gateway'))} vs ${ms(p95('bastion'))} ms; ` +
      `${(p50('gateway') / p50('bastion-curve25519')).toFixed(2)}× a bastion with the gateway's curve25519 key exchange)`,
    verdict(setupRatio <= TARGETS.setupRatio),
  ]);
  const addedP99 = m.echo.gateway.p99 - m.echo.direct.p99;
  rows.push([
    `added keystroke echo latency p99 < ${TARGETS.addedEchoP99Ms} ms`,
    `${ms(addedP99)} ms (p99 ${ms(m.echo.gateway.p99)} via the gateway, ${ms(m.echo.direct.p99)} direct)`,
    verdict(addedP99 < TARGETS.addedEchoP99Ms),
  ]);
  // The larger of the two estimates decides: neither may pass 1 MiB.
  const perSession = Math.max((m.idle.after.rssKib - m.idle.before.rssKib) / Math.max(1, m.idle.opened), m.idle.slopeKib);
  rows.push([
    `gateway memory ≤ ${TARGETS.perSessionKib} KiB per idle session`,
    `${perSession.toFixed(0)} KiB, the larger of Δ ÷ N and the slope (${m.idle.opened} of ${m.idleRequested} sessions open${m.idle.errors ? `; ${m.idle.errors} failed: ${m.idle.firstError}` : ''})`,
    verdict(perSession <= TARGETS.perSessionKib && m.idle.errors === 0),
  ]);
  return markdownTable(['Target', 'Measured', 'Verdict'], rows);
}
