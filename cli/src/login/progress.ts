import type { CliIo } from '../io.ts';
import { formatDuration } from '../format/duration.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  stop(): void;
}

/**
 * "waiting for …" on stderr: a spinner with the time left when stderr is a terminal, one
 * plain line otherwise (logs and CI output should not fill with carriage returns).
 */
export function startProgress(io: CliIo, text: string, deadline: Date): Progress {
  // Time left is rounded up, so the milliseconds that pass before it is shown never take a second off.
  const left = () => formatDuration(Math.ceil((deadline.getTime() - io.now().getTime()) / 1000));
  if (!io.stderr.isTTY) {
    io.stderr.write(`${text} (gives up in ${left()})\n`);
    return { stop: () => undefined };
  }
  let frame = 0;
  const draw = () => io.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]!} ${text} (${left()} left; Ctrl-C to give up)\x1b[K`);
  draw();
  const timer = setInterval(draw, 120);
  return {
    stop() {
      clearInterval(timer);
      io.stderr.write('\r\x1b[K');
    },
  };
}
