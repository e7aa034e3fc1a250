import { parseResize, type Cast } from './asciicast.ts';
import { RecordingError } from './recording-errors.ts';
import { createOutputSanitizer } from './terminal-sanitizer.ts';

export interface PlayOptions {
  /** Where output goes: the player's terminal. */
  write: (data: string) => void;
  sleep: (ms: number) => Promise<void>;
  /** 2 plays twice as fast. Default 1. */
  speed?: number;
  /** Longest pause in recording seconds, before the speed applies; default: no limit. */
  maxIdle?: number;
  /** Seconds into the recording to start at: earlier output is written at once. */
  from?: number;
  /** The recorded terminal changed size: the player's terminal may need to follow. */
  onResize?: (resize: PlayedResize) => void;
  onMarker?: (text: string, time: number) => void;
  /** Drop sequences that act on the player's terminal (see terminal-sanitizer.ts). Default true. */
  sanitize?: boolean;
  /** Stops playing at the next event. */
  signal?: AbortSignal;
}

export interface PlayedResize {
  time: number;
  cols: number;
  rows: number;
}

export interface PlayResult {
  /** Recording seconds played, to the last event played. */
  played: number;
  /** Milliseconds asked of sleep in all. */
  slept: number;
  resizes: PlayedResize[];
  stopped: boolean;
}

/** Pauses shorter than this are added to the next one: a sleep per keystroke echo is noise. */
const MIN_SLEEP_MS = 10;

/**
 * Writes the recording's output (`o` and `e`) with its timing, scaled by speed and with idle
 * pauses capped. Input (`i`) is not written: the terminal's echo of it is in the output.
 */
export async function playCast(cast: Cast, options: PlayOptions): Promise<PlayResult> {
  const speed = options.speed ?? 1;
  const maxIdle = options.maxIdle ?? Infinity;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RecordingError('ERR_PLAYER_OPTION', `the speed must be a number above 0, got ${speed}`);
  if (!(maxIdle > 0)) throw new RecordingError('ERR_PLAYER_OPTION', `the idle limit must be a number of seconds above 0, got ${maxIdle}`);
  const from = options.from ?? 0;
  const clean = options.sanitize === false ? (s: string) => s : createOutputSanitizer();
  const result: PlayResult = { played: 0, slept: 0, resizes: [], stopped: false };
  let previous = from;
  let owed = 0;

  for (const [time, code, data] of cast.events) {
    if (options.signal?.aborted) {
      result.stopped = true;
      break;
    }
    if (time > from) {
      owed += (Math.min(Math.max(0, time - previous), maxIdle) * 1000) / speed;
      previous = time;
    }
    if (owed >= MIN_SLEEP_MS) {
      const ms = Math.round(owed);
      result.slept += ms;
      owed = 0;
      await options.sleep(ms);
      if (options.signal?.aborted) {
        result.stopped = true;
        break;
      }
    }
    if (code === 'o' || code === 'e') {
      const text = clean(data);
      if (text !== '') options.write(text);
    } else if (code === 'r') {
      const size = parseResize(data);
      if (size) {
        const resize = { time, ...size };
        result.resizes.push(resize);
        options.onResize?.(resize);
      }
    } else if (code === 'm') options.onMarker?.(data, time);
    result.played = Math.max(result.played, time);
  }
  return result;
}
