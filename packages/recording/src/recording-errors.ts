export type RecordingErrorCode =
  /** The text is not asciicast v2: a bad header or event line (the message names the line). */
  | 'ERR_CAST_FORMAT'
  /** There is no header line at all. */
  | 'ERR_CAST_EMPTY'
  /** A player option out of range (speed, idle limit). */
  | 'ERR_PLAYER_OPTION';

/**
 * The only error type this package throws for bad input. `code` is stable and meant for
 * programs; `message` is safe to show (it quotes at most a short, sanitized piece of the line).
 */
export class RecordingError extends Error {
  readonly code: RecordingErrorCode;
  /** 1-based line of the recording text, for ERR_CAST_FORMAT. */
  readonly line: number | undefined;

  constructor(code: RecordingErrorCode, message: string, options?: { cause?: unknown; line?: number }) {
    super(message, { cause: options?.cause });
    this.name = 'RecordingError';
    this.code = code;
    this.line = options?.line;
  }
}

/** Quotes untrusted text for a message: printable ASCII only, bounded length. */
export function quote(text: string, max = 60): string {
  const clipped = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(clipped.replace(/[^\x20-\x7e…]/g, '?'));
}
