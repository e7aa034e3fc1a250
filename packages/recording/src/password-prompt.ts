import { formatRedactionMarker } from './redaction-marker.ts';

/**
 * The gateway's redaction rule. Terminal output is watched for a line that asks for a secret
 * (`[sudo] password for bob:`, `Enter passphrase for key …:`, `PIN:`); what the engineer types
 * after it is withheld from the recording until they press Enter (CR or LF), and one marker
 * stands in for it.
 *
 * - Output with a newline ends the secret: the prompt was answered or abandoned (Ctrl-C).
 * - Other output ends nothing (`sudo` with `pwfeedback` prints `*` per key), unless it echoes
 *   what was typed: then echo is on, the input is on the screen anyway, and it is released.
 *   That also undoes false alarms such as a shell echoing `grep password:` as it is typed.
 * - The marker comes once, when the secret ends, with the total: a marker per key would keep
 *   the timing of each keystroke, which says something about the password.
 */
/** What to record for one call: the marker (if any) first, then the input (if any). */
export interface RedactionVerdict {
  /** Input to record now as an `i` event (from output() too: input released by an echo); null for none. */
  record: string | null;
  /** Bytes withheld since the prompt, to be noted now with a marker; 0 for no marker. */
  redactedBytes: number;
  /** The marker text for redactedBytes, or null. */
  marker: string | null;
}

export interface InputRedactor {
  /** Terminal output, as the engineer's terminal receives it. */
  output(data: string): RedactionVerdict;
  /** Keystrokes typed by the engineer. */
  input(data: string): RedactionVerdict;
  /** Whether input is being withheld now. */
  readonly secret: boolean;
  /** At the end of the session: what is still withheld, to be noted. */
  end(): RedactionVerdict;
}

const SECRET_WORDS = /pass(?:word|wd|phrase|code)|pass phrase|\bpin\b|verification code|\botp\b/i;
/** Longer than any prompt: the rest of a long output line is not kept. */
const LINE_LIMIT = 512;

// CSI, OSC/DCS/APC/PM strings, two-byte escapes; then control characters other than \r and \n.
// eslint-disable-next-line no-control-regex -- escape sequences are what is matched here
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]P^_X][\s\S]*?(?:\x07|\x1b\\|$)|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex -- control characters are what is matched here
const CONTROL = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/g;
const MASK_ONLY = /^[*•●·]+$/;

const visible = (text: string) => text.replace(ANSI, '').replace(CONTROL, '');
const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/** Whether a line of output, as shown, asks for a secret. */
export function looksLikeSecretPrompt(line: string): boolean {
  const shown = visible(line.slice(line.search(/[^\r]*$/)));
  return /:\s*$/.test(shown) && SECRET_WORDS.test(shown);
}

export function createInputRedactor(): InputRedactor {
  let line = '';
  /** The prompt on this line was answered or turned out to echo: it asks for nothing more. */
  let settled = false;
  let secret = false;
  let withheld = '';
  /** The part of `withheld` (visible characters) that no output has echoed yet. */
  let unechoed = '';

  const verdict = (record: string | null, redactedBytes: number): RedactionVerdict =>
    ({ record, redactedBytes, marker: redactedBytes > 0 ? formatRedactionMarker(redactedBytes) : null });
  const leave = (): number => {
    const bytes = byteLength(withheld);
    secret = false;
    withheld = '';
    unechoed = '';
    return bytes;
  };
  const enter = () => {
    if (!secret && !settled && looksLikeSecretPrompt(line)) secret = true;
  };

  return {
    get secret() {
      return secret;
    },
    output(data) {
      const newline = data.lastIndexOf('\n');
      if (newline >= 0) {
        line = data.slice(newline + 1);
        settled = false;
        const bytes = secret ? leave() : 0;
        enter();
        return verdict(null, bytes);
      }
      line = (line + data).slice(-LINE_LIMIT);
      // A carriage return starts the line over: what follows may be a new prompt.
      if (data.includes('\r')) settled = false;
      if (secret && withheld !== '') {
        const shown = visible(data);
        if (shown !== '' && !MASK_ONLY.test(shown) && unechoed.startsWith(shown)) {
          const released = withheld;
          leave();
          settled = true;
          return verdict(released, 0);
        }
        return verdict(null, 0);
      }
      enter();
      return verdict(null, 0);
    },
    input(data) {
      if (!secret) return verdict(data, 0);
      const eol = data.search(/[\r\n]/);
      if (eol < 0) {
        withheld += data;
        unechoed += visible(data);
        return verdict(null, 0);
      }
      withheld += data.slice(0, eol);
      // The answered prompt stays the last line until the program's newline: not a new prompt.
      settled = true;
      return verdict(data.slice(eol), leave());
    },
    end() {
      return verdict(null, secret ? leave() : 0);
    },
  };
}
