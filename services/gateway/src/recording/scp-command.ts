export { createScpTracker } from './scp-tracker.ts';

/** An exec request that is the server end of a legacy (rcp protocol) scp copy. */
export interface ScpCommand {
  /** `upload` for `scp -t` (the target receives files), `download` for `scp -f`. */
  direction: 'upload' | 'download';
  /** As the target's shell hands them to scp, before it expands globs or `~`. */
  paths: string[];
  recursive: boolean;
}

/** The flags the OpenSSH scp client (and WinSCP and the like) put on the remote command. */
const SERVER_FLAGS = new Set(['t', 'f', 'r', 'd', 'p', 'v']);

/**
 * Recognises `scp -t [-r] [-d] [-p] [-v] [--] path` and `scp -f ... path...`, the commands
 * `scp -O` (and scp before OpenSSH 9.0) runs on the target, the program given as `scp` or as
 * a path ending in `/scp`. The command is split as the target's shell would split it (quotes
 * and backslashes); anything the shell would do more with (`;`, `|`, `&`, redirections,
 * `$` or backquote substitution, a comment) is not a plain scp and gives `null`, as do
 * other programs, unknown flags, both or neither of `-t` and `-f`, and a missing path or
 * more than one for `-t` (which scp refuses too).
 */
export function parseScpCommand(command: string): ScpCommand | null {
  const words = splitShellWords(command);
  if (!words || words.length === 0) return null;
  const [program, ...args] = words as [string, ...string[]];
  if (program !== 'scp' && !program.endsWith('/scp')) return null;

  const flags = new Set<string>();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    for (const flag of arg.slice(1)) {
      if (!SERVER_FLAGS.has(flag)) return null;
      flags.add(flag);
    }
  }
  const paths = args.slice(i);
  const upload = flags.has('t');
  if (upload === flags.has('f')) return null;
  if (paths.length === 0 || (upload && paths.length !== 1)) return null;
  return { direction: upload ? 'upload' : 'download', paths, recursive: flags.has('r') };
}

/** Characters that make the shell do more than split words when they are not quoted. */
const SHELL_SPECIAL = new Set([';', '&', '|', '<', '>', '(', ')', '$', '`', '\n', '\r']);

/**
 * POSIX shell word splitting for plain commands: blanks separate words, `'...'` is literal,
 * `"..."` is literal except `\` before `$`, `` ` ``, `"`, `\` and newline, and `\` outside
 * quotes quotes the next character. Returns null for anything beyond that (see above) and
 * for an unterminated quote.
 */
function splitShellWords(command: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const close = command.indexOf("'", i + 1);
      if (close === -1) return null;
      word = (word ?? '') + command.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      let text = '';
      for (i++; i < command.length && command[i] !== '"'; i++) {
        const d = command[i]!;
        if (d === '$' || d === '`') return null;
        if (d === '\\' && i + 1 < command.length && '$`"\\\n'.includes(command[i + 1]!)) i++;
        if (command[i] !== '\n' || d !== '\\') text += command[i];
      }
      if (i >= command.length) return null;
      word = (word ?? '') + text;
    } else if (c === '\\') {
      if (i + 1 >= command.length) return null;
      i++;
      if (command[i] !== '\n') word = (word ?? '') + command[i];
    } else if (SHELL_SPECIAL.has(c) || (c === '#' && word === null)) {
      return null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
