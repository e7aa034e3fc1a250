import type { EventEmitter } from 'node:events';

/** SSH_OPEN_RESOURCE_SHORTAGE (RFC 4254 §5.1). */
const RESOURCE_SHORTAGE = 4;

/** ssh2's reject for a channel open, as the gateway's patch extends it: a reason code and a description the client prints. */
type Reject = (reason?: number, description?: string) => void;

export interface GuardedOpen<T> {
  accept: () => T;
  reject: Reject;
}

/**
 * A cap on the channels a peer has open at once on one connection. Each channel here costs
 * more than a socket (an SSH connection terminated by the gateway, a connection to a target),
 * and ssh2 allows billions, so a request past the cap is refused with a reason the OpenSSH
 * client prints ("open failed: resource shortage: …"). A place is held from the request
 * (answering it may take a database lookup) until the channel closes or is refused.
 */
export function createChannelLimit(max: number) {
  let open = 0;
  return {
    /** Wraps one channel-open request; refuses it and returns null when `max` channels are open or asked for. */
    guard<T extends EventEmitter | undefined>(accept: () => T, reject: ((...args: never[]) => void) | undefined): GuardedOpen<T> | null {
      const refuse = reject as Reject | undefined;
      if (open >= max) {
        refuse?.(RESOURCE_SHORTAGE, `too many channels open at once on this connection (at most ${max})`);
        return null;
      }
      open++;
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        open--;
      };
      return {
        accept: () => {
          const channel = accept();
          if (channel) channel.once('close', release);
          else release();
          return channel;
        },
        reject: (reason, description) => {
          release();
          refuse?.(reason, description);
        },
      };
    },
    /** Channels open or asked for now. */
    open: () => open,
  };
}

export type ChannelLimit = ReturnType<typeof createChannelLimit>;
