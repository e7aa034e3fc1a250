/**
 * Recorded output comes from the target, and so from whoever controlled it. Played back on an
 * auditor's terminal, some sequences would act there: requests that make the terminal answer
 * (device status, window title reports) type text into whatever reads the terminal next, and
 * OSC 52 writes the clipboard. The sanitizer drops those and passes everything that only draws.
 *
 * Dropped: OSC, DCS, SOS, PM and APC strings; CSI sequences ending in c, n, t, x or i (device
 * attributes, status reports, window operations, DECREQTPARM, media copy) and any CSI with a
 * `$` (DECRQM and friends); ESC Z (DECID). It keeps state across chunks.
 */
export type OutputSanitizer = (data: string) => string;

const DROPPED_CSI_FINALS = new Set(['c', 'n', 't', 'x', 'i']);
const STRING_STARTERS = new Set([']', 'P', 'X', '^', '_']);
const C1_STRINGS = new Set(['\x90', '\x98', '\x9d', '\x9e', '\x9f']);
const MAX_SEQUENCE = 256;

export function createOutputSanitizer(): OutputSanitizer {
  let state: 'ground' | 'esc' | 'csi' | 'string' | 'string-esc' = 'ground';
  let seq = '';

  let out = '';
  const step = (ch: string): void => {
    switch (state) {
      case 'ground':
        if (ch === '\x1b') [state, seq] = ['esc', ch];
        else if (ch === '\x9b') [state, seq] = ['csi', ch];
        else if (C1_STRINGS.has(ch)) state = 'string';
        else out += ch;
        return;
      case 'esc':
        if (ch === '\x1b') seq = ch;
        else if (ch === '[') [state, seq] = ['csi', seq + ch];
        else if (STRING_STARTERS.has(ch) && seq === '\x1b') state = 'string';
        else if (ch >= ' ' && ch <= '/') seq += ch;
        else {
          if (!(ch === 'Z' && seq === '\x1b')) out += seq + ch;
          state = 'ground';
        }
        return;
      case 'csi':
        if (ch === '\x1b') [state, seq] = ['esc', ch];
        else if (ch === '\x18' || ch === '\x1a' || seq.length > MAX_SEQUENCE) state = 'ground';
        else if (ch >= '@' && ch <= '~') {
          if (!DROPPED_CSI_FINALS.has(ch) && !seq.includes('$')) out += seq + ch;
          state = 'ground';
        } else seq += ch;
        return;
      case 'string':
        if (ch === '\x07' || ch === '\x9c' || ch === '\x18' || ch === '\x1a') state = 'ground';
        else if (ch === '\x1b') state = 'string-esc';
        return;
      case 'string-esc':
        // ESC \ ends the string; ESC and anything else abandons it and starts a new sequence.
        if (ch === '\\') state = 'ground';
        else {
          [state, seq] = ['esc', '\x1b'];
          step(ch);
        }
    }
  };

  return (data) => {
    out = '';
    for (const ch of data) step(ch);
    return out;
  };
}
