/** The outside world as the commands see it: main() builds it from the process, tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Whether a person is at the keyboard (stdin is a terminal). */
  stdinIsTTY: boolean;
  /** Asks one question on the terminal and resolves with the typed line. */
  ask: (question: string) => Promise<string>;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Runs a program to completion (ssh-add); never through a shell. */
  run: (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => Promise<RunResult>;
  /** Starts a program and does not wait for it (the web browser); false when it could not start. */
  launch: (file: string, args: readonly string[]) => Promise<boolean>;
  platform: NodeJS.Platform;
}

export interface RunResult {
  /** null when the program could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A line for a person, on stderr (stdout is for results a script may read). */
export const say = (io: CliIo) => (line: string): void => {
  io.stderr.write(`${line}\n`);
};

/** A result line, on stdout. */
export const print = (io: CliIo) => (line: string): void => {
  io.stdout.write(`${line}\n`);
};

export const printJson = (io: CliIo, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};
