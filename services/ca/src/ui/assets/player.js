// @ts-check
/**
 * Session replay player and live view for the access web UI, served to the browser as-is.
 *
 * A recording is attacker-controlled bytes. They go through the xterm.js headless emulator
 * and reach the DOM only as the characters of its screen cells (textContent) and as colours
 * computed from numbers (classes or CSSOM). Nothing the emulator asks for (title, clipboard,
 * hyperlinks, replies) is acted on. The page's CSP forbids inline styles and scripts, so this
 * file never builds markup from strings.
 *
 * Markup contract (rendered by the server):
 *   <div data-access-player data-cast-url="…/cast" data-xterm-url="…/xterm-headless.mjs"
 *        data-live="true|false" data-cols="80" data-rows="24"></div>
 * State for tests and styling: data-state = loading|paused|playing|live|ended|error and
 * data-time = the playback position in seconds (1 decimal).
 */
'use strict';

/**
 * @typedef {import('@xterm/headless').Terminal} Terminal
 * @typedef {import('@xterm/headless').IBufferCell} BufferCell
 * @typedef {{ new (options: import('@xterm/headless').ITerminalOptions & import('@xterm/headless').ITerminalInitOnlyOptions): Terminal }} TerminalClass
 * @typedef {'o' | 'e' | 'i' | 'r' | 'm'} EventCode
 * @typedef {{ t: number, code: EventCode, data: string }} CastEvent
 * @typedef {{ cols: number, rows: number }} Size
 * @typedef {'live' | 'ended' | 'interrupted'} SessionStatus
 * @typedef {'loading' | 'paused' | 'playing' | 'live' | 'ended' | 'error'} PlayerState
 */

const SPEEDS = [0.5, 1, 2, 4, 8];
/** Pauses longer than this (seconds of recording) are cut to this length while playing. */
const IDLE_CAP = 2;
const POLL_MS = 500;
/** Bounds on sizes from the recording: a resize to 100000x100000 must not hang the tab. */
const MAX_COLS = 500;
const MAX_ROWS = 200;
const DEFAULT_SIZE = { cols: 80, rows: 24 };
/** Write to the emulator in slices of this many characters, so a huge seek never builds one giant string. */
const WRITE_SLICE = 1 << 20;
const MAX_MARKERS = 200;
const CODES = new Set(['o', 'e', 'i', 'r', 'm']);

// ---------------------------------------------------------------------------------------
// asciicast v2 parsing

/**
 * @param {unknown} value
 * @param {number} max
 * @returns {number | null}
 */
function boundedInt(value, max) {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? Math.min(value, max) : null;
}

/**
 * Parses one event line. Returns null for anything that is not `[seconds, code, data]`.
 * @param {string} line
 * @returns {CastEvent | null}
 */
function parseEvent(line) {
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length < 3) return null;
  const [t, code, data] = value;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return null;
  if (typeof code !== 'string' || !CODES.has(code) || typeof data !== 'string') return null;
  return { t, code: /** @type {EventCode} */ (code), data };
}

/**
 * Parses an asciicast v2 body: with `withHeader`, the first line must be the JSON header.
 * Bad event lines are counted, never thrown.
 * @param {string} text
 * @param {boolean} withHeader
 * @returns {{ size: Size | null, events: CastEvent[], skipped: number }}
 */
export function parseCast(text, withHeader) {
  const lines = text.split('\n');
  /** @type {Size | null} */
  let size = null;
  let start = 0;
  if (withHeader) {
    while (start < lines.length && (lines[start] ?? '').trim() === '') start++;
    size = parseHeader(lines[start] ?? '');
    start++;
  }
  /** @type {CastEvent[]} */
  const events = [];
  let skipped = 0;
  for (let i = start; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const event = parseEvent(line);
    if (event) events.push(event);
    else skipped++;
  }
  return { size, events, skipped };
}

/**
 * @param {string} line
 * @returns {Size}
 */
function parseHeader(line) {
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(line);
  } catch {
    throw new PlayerError('The recording could not be read (its header is not JSON).');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PlayerError('The recording could not be read (bad header).');
  const header = /** @type {Record<string, unknown>} */ (value);
  if (header['version'] !== 2) throw new PlayerError('The recording is not asciicast version 2.');
  return {
    cols: boundedInt(header['width'], MAX_COLS) ?? DEFAULT_SIZE.cols,
    rows: boundedInt(header['height'], MAX_ROWS) ?? DEFAULT_SIZE.rows,
  };
}

/**
 * A resize event's data, "COLSxROWS".
 * @param {string} data
 * @returns {Size | null}
 */
function parseSize(data) {
  const match = /^(\d{1,6})x(\d{1,6})$/.exec(data.trim());
  if (!match) return null;
  const cols = boundedInt(Number(match[1]), MAX_COLS);
  const rows = boundedInt(Number(match[2]), MAX_ROWS);
  return cols && rows ? { cols, rows } : null;
}

/**
 * xterm carries out some counted sequences one step at a time and takes counts up to 2^31:
 * `ESC [ 2147483647 S` is minutes of work from 14 bytes of recorded output, which would freeze
 * the auditor's tab. Above the screen's size such a count changes nothing more (insert,
 * delete and scroll lines, back-tab), so it is cut to that; a repeat (REP) to one line's width.
 * The same bound the server's transcripts use.
 */
const COUNT_LIMIT = /** @type {Readonly<Record<string, number>>} */ ({ L: MAX_ROWS, M: MAX_ROWS, S: MAX_ROWS, T: MAX_ROWS, Z: MAX_COLS, b: MAX_COLS });
// eslint-disable-next-line no-control-regex -- escape sequences are what is matched
const COUNTED = /(\x1b\[|\x9b)([\d;:]*)([LMSTZb])/g;
// eslint-disable-next-line no-control-regex -- an unfinished CSI at the end of the text
const UNFINISHED_CSI = /(?:\x1b\[|\x9b)[\d;:]*$|\x1b$/;
/** Longer than this, an unfinished CSI is no program's: it is cancelled (CAN) rather than held. */
const HOLD_LIMIT = 64;

/** @param {string} output */
function boundCounts(output) {
  return output.replace(COUNTED, (_all, csi, params, final) => {
    const limit = COUNT_LIMIT[final] ?? MAX_COLS;
    return `${csi}${String(params).replace(/\d+/g, (n) => (Number(n) > limit ? String(limit) : n))}${final}`;
  });
}

/**
 * What of `pending` can be written now (counts bounded) and what waits: an unfinished CSI at
 * its end waits for the rest of it, so a count split across events is bounded too.
 * @param {string} pending
 * @param {boolean} last
 * @returns {{ now: string, held: string }}
 */
function writable(pending, last) {
  const tail = last ? null : UNFINISHED_CSI.exec(pending);
  const held = tail && tail[0].length <= HOLD_LIMIT ? tail[0] : '';
  const data = held ? pending.slice(0, -held.length) : tail ? `${pending}\x18` : pending;
  return { now: boundCounts(data), held };
}

/** An error whose message is safe and meant to be shown to the user. */
class PlayerError extends Error {}

// ---------------------------------------------------------------------------------------
// Colours and cell styles

/**
 * The xterm 256-colour palette above the 16 themed colours, as CSS.
 * @param {number} n 16..255
 */
function paletteCss(n) {
  if (n >= 232) {
    const level = 8 + (n - 232) * 10;
    return `rgb(${level}, ${level}, ${level})`;
  }
  const steps = [0, 95, 135, 175, 215, 255];
  const i = n - 16;
  return `rgb(${steps[Math.floor(i / 36) % 6]}, ${steps[Math.floor(i / 6) % 6]}, ${steps[i % 6]})`;
}

/**
 * A cell colour: a palette index 0–15 (styled by class), a CSS colour, or the default.
 * @typedef {{ index: number } | { css: string } | null} Colour
 */

/**
 * @param {boolean} isDefault
 * @param {boolean} isPalette
 * @param {boolean} isRgb
 * @param {number} value
 * @returns {Colour}
 */
function colourOf(isDefault, isPalette, isRgb, value) {
  if (isDefault) return null;
  if (isPalette) {
    const n = value & 0xff;
    return n < 16 ? { index: n } : { css: paletteCss(n) };
  }
  if (isRgb) return { css: `#${(value & 0xffffff).toString(16).padStart(6, '0')}` };
  return null;
}

/**
 * A run of cells with identical attributes.
 * @typedef {{ text: string, classes: string, fg: string, bg: string }} Run
 */

/**
 * Classes and CSSOM colours for one cell.
 * @param {BufferCell} cell
 * @param {boolean} isCursor
 * @returns {{ classes: string, fg: string, bg: string }}
 */
function cellStyle(cell, isCursor) {
  let fg = colourOf(cell.isFgDefault(), cell.isFgPalette(), cell.isFgRGB(), cell.getFgColor());
  let bg = colourOf(cell.isBgDefault(), cell.isBgPalette(), cell.isBgRGB(), cell.getBgColor());
  const inverse = cell.isInverse() !== 0;
  if (inverse) [fg, bg] = [bg, fg];
  /** @type {string[]} */
  const classes = [];
  let fgCss = '';
  let bgCss = '';
  if (fg === null) {
    if (inverse) classes.push('fg-bg');
  } else if ('index' in fg) classes.push(`fg-${fg.index}`);
  else fgCss = fg.css;
  if (bg === null) {
    if (inverse) classes.push('bg-fg');
  } else if ('index' in bg) classes.push(`bg-${bg.index}`);
  else bgCss = bg.css;
  if (cell.isBold()) classes.push('bold');
  if (cell.isDim()) classes.push('dim');
  if (cell.isItalic()) classes.push('italic');
  if (cell.isUnderline()) classes.push('underline');
  if (cell.isStrikethrough()) classes.push('strike');
  if (cell.isInvisible()) classes.push('invisible');
  if (isCursor) classes.push('cursor');
  return { classes: classes.join(' '), fg: fgCss, bg: bgCss };
}

// ---------------------------------------------------------------------------------------
// Screen: the emulator and its rendering

class Screen {
  /**
   * @param {TerminalClass} TerminalCtor
   * @param {HTMLPreElement} pre
   * @param {Size} size the recording's initial size
   * @param {boolean} pty false for a session without a terminal: its output has bare line feeds
   */
  constructor(TerminalCtor, pre, size, pty) {
    this.TerminalCtor = TerminalCtor;
    this.pre = pre;
    this.size = size;
    this.pty = pty;
    this.cursorHidden = false;
    this.term = this.#create();
    /** How many of the player's events the emulator has consumed. */
    this.written = 0;
    /** How many events the player wants consumed; read when a queued sync runs. */
    this.target = 0;
    this.syncQueued = false;
    /** Emulator work runs one operation at a time, in order. */
    this.queue = Promise.resolve();
    this.frame = 0;
    /** @type {HTMLSpanElement[]} */
    this.rowEls = [];
    /** @type {string[]} */
    this.rowKeys = [];
    this.cell = this.term.buffer.active.getNullCell();
  }

  /** @returns {Terminal} */
  #create() {
    // Without a pty nothing turned "\n" into "\r\n", so the emulator does it, as a terminal would have.
    const term = new this.TerminalCtor({ cols: this.size.cols, rows: this.size.rows, allowProposedApi: true, scrollback: 1000, convertEol: !this.pty });
    this.cursorHidden = false;
    // DECTCEM (CSI ? 25 h/l) decides whether the cursor is drawn. Returning false lets
    // xterm's own handler run as well.
    /** @param {boolean} hidden */
    const onMode = (hidden) => (/** @type {(number | number[])[]} */ params) => {
      if (params.some((p) => p === 25 || (Array.isArray(p) && p[0] === 25))) this.cursorHidden = hidden;
      return false;
    };
    term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, onMode(false));
    term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, onMode(true));
    return term;
  }

  /**
   * Brings the emulator to the state after the first `target` events, then renders once.
   * Requests made while one is pending collapse into one.
   * @param {readonly CastEvent[]} events
   * @param {number} target
   */
  sync(events, target) {
    this.target = target;
    if (this.syncQueued) return;
    this.syncQueued = true;
    this.queue = this.queue
      .then(() => this.#runSync(events))
      .catch((error) => console.error('access player: emulator error', error));
  }

  /** @param {readonly CastEvent[]} events */
  async #runSync(events) {
    this.syncQueued = false;
    const target = this.target;
    if (target < this.written) {
      // Going back: start over from an empty terminal and replay in one go.
      this.term.dispose();
      this.term = this.#create();
      this.cell = this.term.buffer.active.getNullCell();
      this.written = 0;
      this.#held = '';
    }
    if (target > this.written) {
      await this.#apply(events, this.written, target);
      this.written = target;
    }
    this.scheduleRender();
  }

  /**
   * @param {readonly CastEvent[]} events
   * @param {number} from
   * @param {number} to
   */
  async #apply(events, from, to) {
    let pending = '';
    for (let i = from; i < to; i++) {
      const event = events[i];
      if (!event) break;
      if (event.code === 'o' || event.code === 'e') {
        pending += event.data;
        if (pending.length >= WRITE_SLICE) pending = await this.#writeBounded(pending, false);
      } else if (event.code === 'r') {
        const size = parseSize(event.data);
        if (!size) continue;
        // Writes are parsed asynchronously: what came before the resize must land first.
        pending = await this.#writeBounded(pending, false);
        this.term.resize(size.cols, size.rows);
      }
    }
    // An unfinished CSI at the very end waits too (a live session may finish it later); alone
    // it would draw nothing anyway.
    this.#held = await this.#writeBounded(pending, false);
  }

  /** An unfinished CSI left at the end of the last apply, written with what comes next. */
  #held = '';

  /**
   * Writes `pending` after what an earlier apply held, with counts bounded; returns what is held back.
   * @param {string} pending
   * @param {boolean} last
   */
  async #writeBounded(pending, last) {
    const { now, held } = writable(this.#held + pending, last);
    this.#held = '';
    await this.#write(now);
    return held;
  }

  /** @param {string} data */
  #write(data) {
    if (data === '') return Promise.resolve();
    return new Promise((resolve) => this.term.write(data, () => resolve(undefined)));
  }

  scheduleRender() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.#render();
    });
  }

  #render() {
    const term = this.term;
    const buffer = term.buffer.active;
    const rows = term.rows;
    const cols = term.cols;
    this.#ensureRows(rows);
    const cursorRow = this.cursorHidden ? -1 : buffer.baseY + buffer.cursorY - buffer.viewportY;
    for (let y = 0; y < rows; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      const cursorCol = y === cursorRow ? Math.min(buffer.cursorX, cols - 1) : -1;
      const runs = line ? this.#runs(line, cols, cursorCol) : [{ text: ' '.repeat(cols), classes: '', fg: '', bg: '' }];
      const key = runs.map((r) => `${r.classes}|${r.fg}|${r.bg}|${r.text}`).join('\u0000');
      const rowEl = this.rowEls[y];
      if (!rowEl || this.rowKeys[y] === key) continue;
      this.rowKeys[y] = key;
      rowEl.replaceChildren(...runs.map(runElement));
    }
  }

  /** @param {number} rows */
  #ensureRows(rows) {
    if (this.rowEls.length === rows) return;
    this.rowEls = [];
    this.rowKeys = [];
    /** @type {Node[]} */
    const nodes = [];
    for (let y = 0; y < rows; y++) {
      const row = document.createElement('span');
      row.className = 'access-row';
      this.rowEls.push(row);
      this.rowKeys.push('');
      nodes.push(row);
      if (y < rows - 1) nodes.push(document.createTextNode('\n'));
    }
    this.pre.replaceChildren(...nodes);
  }

  /**
   * @param {import('@xterm/headless').IBufferLine} line
   * @param {number} cols
   * @param {number} cursorCol
   * @returns {Run[]}
   */
  #runs(line, cols, cursorCol) {
    /** @type {Run[]} */
    const runs = [];
    /** @type {Run | null} */
    let run = null;
    for (let x = 0; x < cols; x++) {
      const cell = line.getCell(x, this.cell);
      if (!cell) break;
      const width = cell.getWidth();
      if (width === 0) continue; // the right half of a wide character
      const style = cellStyle(cell, x === cursorCol);
      const text = cell.getChars() || ' ';
      if (run && run.classes === style.classes && run.fg === style.fg && run.bg === style.bg) run.text += text;
      else {
        run = { text, ...style };
        runs.push(run);
      }
    }
    return runs;
  }
}

/**
 * @param {Run} run
 * @returns {HTMLSpanElement}
 */
function runElement(run) {
  const span = document.createElement('span');
  if (run.classes) span.className = run.classes;
  if (run.fg) span.style.color = run.fg;
  if (run.bg) span.style.backgroundColor = run.bg;
  span.textContent = run.text;
  return span;
}

// ---------------------------------------------------------------------------------------
// Player: timeline, controls, live polling

/** @param {number} seconds */
function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = Math.floor(s / 60);
  return `${String(mm).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Resolves a URL from the markup and insists on this origin: the player never fetches or
 * imports from elsewhere, whatever the page says.
 * @param {string | undefined} value
 * @param {string} what
 */
function sameOriginUrl(value, what) {
  if (!value) throw new PlayerError(`The player is missing its ${what}.`);
  const url = new URL(value, document.baseURI);
  if (url.origin !== location.origin) throw new PlayerError(`The player's ${what} is not on this site.`);
  return url;
}

/** @param {number} status */
function httpMessage(status) {
  if (status === 401 || status === 403) return 'You are not allowed to view this recording.';
  if (status === 404 || status === 410) return 'This recording was not found.';
  return `The recording could not be loaded (HTTP ${status}).`;
}

/** @type {Map<string, Promise<TerminalClass>>} */
const emulators = new Map();

/** @param {URL} url */
function loadEmulator(url) {
  let loaded = emulators.get(url.href);
  if (!loaded) {
    loaded = import(url.href).then((module) => {
      const ctor = module && module.Terminal;
      if (typeof ctor !== 'function') throw new Error('no Terminal export');
      return /** @type {TerminalClass} */ (ctor);
    });
    emulators.set(url.href, loaded);
  }
  return loaded;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} className
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

class Player {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.liveMode = root.dataset['live'] === 'true';
    this.pty = root.dataset['pty'] !== 'false';
    this.hint = {
      cols: boundedInt(Number(root.dataset['cols']), MAX_COLS) ?? DEFAULT_SIZE.cols,
      rows: boundedInt(Number(root.dataset['rows']), MAX_ROWS) ?? DEFAULT_SIZE.rows,
    };
    /** @type {CastEvent[]} */
    this.events = [];
    this.skipped = 0;
    /** @type {string | null} */
    this.seq = null;
    /** @type {SessionStatus} */
    this.status = this.liveMode ? 'live' : 'ended';
    this.position = 0;
    this.playing = false;
    this.following = false;
    this.speed = 1;
    this.skipIdle = true;
    this.lastTick = 0;
    this.loading = true;
    this.failed = false;
    this.dragging = false;
    this.pollTimer = 0;
    /** Set when the server refuses live updates; the screen keeps what it has. */
    this.liveStopped = false;
    /** @type {URL | null} */
    this.castUrl = null;
    /** @type {Screen | null} */
    this.screen = null;
    this.ui = this.#build();
    this.#update();
  }

  #build() {
    const root = this.root;
    root.classList.add('access-player');
    const toolbar = el('div', 'access-toolbar');
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Playback controls');

    const play = el('button', 'access-play', 'Play');
    play.type = 'button';
    play.addEventListener('click', () => this.toggle());

    const speedLabel = el('label', 'access-speed', 'Speed ');
    const speed = el('select', 'access-speed-select');
    speed.setAttribute('aria-label', 'Playback speed');
    for (const s of SPEEDS) {
      const option = el('option', '', `${s}×`);
      option.value = String(s);
      option.selected = s === this.speed;
      speed.append(option);
    }
    speed.addEventListener('change', () => {
      const value = Number(speed.value);
      if (SPEEDS.includes(value)) this.speed = value;
    });
    speedLabel.append(speed);

    const seek = el('input', 'access-seek');
    seek.type = 'range';
    seek.min = '0';
    seek.step = '0.1';
    seek.value = '0';
    seek.setAttribute('aria-label', 'Seek');
    const markers = el('datalist', 'access-markers');
    markers.id = `access-markers-${Math.random().toString(36).slice(2)}`;
    seek.setAttribute('list', markers.id);
    seek.addEventListener('input', () => this.seek(Number(seek.value), Number(seek.value) >= Number(seek.max)));
    seek.addEventListener('pointerdown', () => (this.dragging = true));
    for (const type of ['pointerup', 'pointercancel', 'change']) seek.addEventListener(type, () => (this.dragging = false));

    const time = el('span', 'access-time', '00:00 / 00:00');
    time.setAttribute('aria-label', 'Position / length');

    const idleLabel = el('label', 'access-idle');
    idleLabel.title = `While playing, pauses longer than ${IDLE_CAP} s are shortened to ${IDLE_CAP} s`;
    const idle = el('input', 'access-idle-toggle');
    idle.type = 'checkbox';
    idle.checked = this.skipIdle;
    idle.addEventListener('change', () => (this.skipIdle = idle.checked));
    idleLabel.append(idle, ` Skip idle (cap pauses at ${IDLE_CAP} s)`);

    const goLive = el('button', 'access-go-live', 'Go live');
    goLive.type = 'button';
    goLive.hidden = true;
    goLive.addEventListener('click', () => this.follow());

    const badge = el('span', 'access-status');
    badge.setAttribute('role', 'status');
    badge.hidden = true;

    toolbar.append(play, speedLabel, seek, markers, time, idleLabel, goLive, badge);

    const screen = el('pre', 'access-screen');
    screen.setAttribute('role', 'region');
    screen.setAttribute('aria-label', 'Terminal screen');
    screen.tabIndex = 0;

    const note = el('p', 'access-note');
    note.hidden = true;
    const message = el('p', 'access-message', 'Loading recording…');
    message.setAttribute('role', 'status');

    root.replaceChildren(toolbar, screen, note, message);
    return { toolbar, play, speed, seek, markers, time, idle, goLive, badge, screen, note, message };
  }

  async start() {
    try {
      const castUrl = sameOriginUrl(this.root.dataset['castUrl'], 'recording address');
      const xtermUrl = sameOriginUrl(this.root.dataset['xtermUrl'], 'terminal emulator address');
      this.castUrl = castUrl;
      const [TerminalCtor, response] = await Promise.all([
        loadEmulator(xtermUrl).catch(() => {
          throw new PlayerError('The terminal emulator could not be loaded.');
        }),
        this.#fetch(castUrl),
      ]);
      const text = await response.text();
      const parsed = parseCast(text, true);
      this.#readHeaders(response);
      this.screen = new Screen(TerminalCtor, this.ui.screen, parsed.size ?? this.hint, this.pty);
      this.#append(parsed.events, parsed.skipped);
      this.loading = false;
      this.ui.message.hidden = true;
      if (this.#pollable()) {
        this.following = true;
        this.#schedulePoll();
      } else if (this.liveMode && this.status === 'live') {
        this.#note('Live updates are unavailable for this session.');
      }
      this.#moveTo(this.following ? this.#duration() : 0);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** @param {URL} url */
  async #fetch(url) {
    /** @type {Response} */
    let response;
    try {
      response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/x-asciicast, text/plain' } });
    } catch {
      throw new PlayerError('The recording could not be loaded (network error).');
    }
    if (!response.ok) throw new PlayerError(httpMessage(response.status));
    return response;
  }

  /** @param {Response} response */
  #readHeaders(response) {
    const seq = response.headers.get('x-access-chunk-seq');
    if (seq !== null && /^\d{1,15}$/.test(seq.trim())) this.seq = seq.trim();
    const status = response.headers.get('x-access-session-status');
    if (status === 'live' || status === 'ended' || status === 'interrupted') this.status = status;
  }

  #pollable() {
    return this.liveMode && this.status === 'live' && this.seq !== null && !this.failed && !this.liveStopped;
  }

  /**
   * Adds events to the timeline. Time never goes backwards: a late timestamp is clamped to
   * the previous one, so the timeline stays sorted for seeking.
   * @param {readonly CastEvent[]} events
   * @param {number} skipped
   */
  #append(events, skipped) {
    let last = this.#duration();
    for (const event of events) {
      last = Math.max(last, event.t);
      this.events.push({ ...event, t: last });
      if (event.code === 'm') this.#marker(last, event.data);
    }
    if (skipped > 0) {
      this.skipped += skipped;
      this.#note(`${this.skipped} ${this.skipped === 1 ? 'line' : 'lines'} skipped (not valid recording events).`);
    }
  }

  /**
   * @param {number} t
   * @param {string} label
   */
  #marker(t, label) {
    if (this.ui.markers.childElementCount >= MAX_MARKERS) return;
    const option = document.createElement('option');
    option.value = String(t);
    option.label = label.slice(0, 80);
    this.ui.markers.append(option);
  }

  /** @param {string} text */
  #note(text) {
    this.ui.note.textContent = text;
    this.ui.note.hidden = false;
  }

  #duration() {
    return this.events.at(-1)?.t ?? 0;
  }

  /**
   * Number of events at or before `t` (binary search on the sorted timeline).
   * @param {number} t
   */
  #countUpTo(t) {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.events[mid]?.t ?? Infinity) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** @param {number} t */
  #moveTo(t) {
    this.position = Math.min(Math.max(0, t), this.#duration());
    this.screen?.sync(this.events, this.#countUpTo(this.position));
    this.#update();
  }

  toggle() {
    if (this.loading || this.failed) return;
    if (this.playing || this.following) this.pause();
    else this.play();
  }

  play() {
    if (this.loading || this.failed || this.events.length === 0) return;
    if (this.position >= this.#duration()) {
      if (this.status === 'live' && this.#pollable()) return this.follow();
      this.#moveTo(0);
    }
    this.following = false;
    this.playing = true;
    this.lastTick = performance.now();
    requestAnimationFrame((now) => this.#tick(now));
    this.#update();
  }

  pause() {
    this.playing = false;
    this.following = false;
    this.#update();
  }

  follow() {
    if (!this.#pollable()) return;
    this.playing = false;
    this.following = true;
    this.#moveTo(this.#duration());
  }

  /**
   * @param {number} t
   * @param {boolean} toEnd
   */
  seek(t, toEnd) {
    if (this.loading || this.failed || !Number.isFinite(t)) return;
    if (toEnd && this.#pollable()) return this.follow();
    this.following = false;
    this.#moveTo(t);
  }

  /** @param {number} now */
  #tick(now) {
    if (!this.playing) return;
    // A hidden tab gets no frames; do not jump ahead by the time it was hidden.
    const elapsed = Math.min(Math.max(0, now - this.lastTick) / 1000, 0.25);
    this.lastTick = now;
    let next = this.position + elapsed * this.speed;
    if (this.skipIdle) {
      const done = this.#countUpTo(this.position);
      const previous = this.events[done - 1]?.t ?? 0;
      const upcoming = this.events[done]?.t;
      if (upcoming !== undefined && upcoming - previous > IDLE_CAP && next > previous + IDLE_CAP) {
        next = Math.max(next, upcoming);
      }
    }
    const duration = this.#duration();
    if (next >= duration) {
      next = duration;
      this.playing = false;
      if (this.#pollable()) this.following = true;
    }
    this.#moveTo(next);
    if (this.playing) requestAnimationFrame((t) => this.#tick(t));
  }

  #schedulePoll() {
    this.pollTimer = window.setTimeout(() => void this.#poll(), POLL_MS);
  }

  async #poll() {
    this.pollTimer = 0;
    if (!this.castUrl || !this.#pollable()) return;
    const url = new URL(this.castUrl);
    url.searchParams.set('after', this.seq ?? '0');
    try {
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 401 || response.status === 403 || response.status === 404 || response.status === 410) {
        this.liveStopped = true;
        this.following = false;
        this.#note(`Live updates stopped: ${httpMessage(response.status)}`);
        this.#update();
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const text = await response.text();
      this.#readHeaders(response);
      const parsed = parseCast(text, false);
      this.#append(parsed.events, parsed.skipped);
      const wasFollowing = this.following;
      if (this.status !== 'live') this.following = false;
      // Following shows new output at once; otherwise the position stays where the user left it.
      this.#moveTo(wasFollowing ? this.#duration() : this.position);
    } catch {
      this.#note('Lost contact with the server; retrying…');
    }
    if (this.#pollable()) this.#schedulePoll();
    else this.#update();
  }

  /** @param {unknown} error */
  #fail(error) {
    this.failed = true;
    this.loading = false;
    this.playing = false;
    this.following = false;
    if (this.pollTimer) window.clearTimeout(this.pollTimer);
    if (!(error instanceof PlayerError)) console.error('access player:', error);
    this.ui.message.textContent = error instanceof PlayerError ? error.message : 'The player failed unexpectedly.';
    this.ui.message.setAttribute('role', 'alert');
    this.ui.message.classList.add('access-error');
    this.ui.message.hidden = false;
    this.ui.toolbar.hidden = true;
    this.ui.screen.hidden = true;
    this.#update();
  }

  /** @returns {PlayerState} */
  #state() {
    if (this.failed) return 'error';
    if (this.loading) return 'loading';
    if (this.following) return 'live';
    if (this.playing) return 'playing';
    if (this.status !== 'live' && this.position >= this.#duration()) return 'ended';
    return 'paused';
  }

  #update() {
    const state = this.#state();
    const duration = this.#duration();
    const ui = this.ui;
    this.root.dataset['state'] = state;
    this.root.dataset['time'] = this.position.toFixed(1);
    const busy = state === 'playing' || state === 'live';
    ui.play.textContent = busy ? 'Pause' : 'Play';
    ui.play.setAttribute('aria-label', busy ? 'Pause' : 'Play');
    ui.play.disabled = this.loading || this.failed;
    ui.seek.max = duration.toFixed(1);
    if (!this.dragging) ui.seek.value = this.position.toFixed(1);
    ui.seek.setAttribute('aria-valuetext', `${clock(this.position)} of ${clock(duration)}`);
    ui.time.textContent = `${clock(this.position)} / ${clock(duration)}`;
    ui.goLive.hidden = !(this.#pollable() && !this.following);
    const showBadge = this.liveMode || this.status === 'interrupted';
    ui.badge.hidden = !showBadge || this.loading;
    ui.badge.textContent = this.status === 'live' ? 'Live' : this.status === 'interrupted' ? 'Interrupted' : 'Ended';
    ui.badge.classList.toggle('is-live', this.status === 'live');
  }
}

// ---------------------------------------------------------------------------------------
// Boot

/** Adds player.css (next to this module) unless the page already links it. */
function ensureStylesheet() {
  const href = new URL('player.css', import.meta.url).href;
  for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
    if (link instanceof HTMLLinkElement && link.href === href) return;
  }
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

function init() {
  const roots = document.querySelectorAll('[data-access-player]');
  if (roots.length > 0) ensureStylesheet();
  for (const root of roots) {
    if (!(root instanceof HTMLElement) || root.dataset['accessPlayerReady']) continue;
    root.dataset['accessPlayerReady'] = 'true';
    try {
      void new Player(root).start();
    } catch (error) {
      console.error('access player:', error);
    }
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init, { once: true });
else init();
