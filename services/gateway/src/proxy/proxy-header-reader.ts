import type { Socket } from 'node:net';
import { parseProxyHeader, ProxyProtocolError, type ProxyHeader } from './proxy-protocol.ts';

export interface ProxyHeaderLimits {
  /** How long the whole header may take to arrive (ms). */
  timeoutMs: number;
  /** The most bytes a header may take (v2 headers carry TLVs; v1 is at most 107). */
  maxLength: number;
}

/** 5 s, 4 KiB: a balancer sends its header at once, and its TLVs are a few hundred bytes. */
export const DEFAULT_PROXY_HEADER_LIMITS: ProxyHeaderLimits = { timeoutMs: 5000, maxLength: 4096 };

/**
 * Reads the PROXY header off the front of `socket`, before anything else sees it. Resolves
 * with the header once it is complete; the bytes after it are put back, and the socket is
 * left paused for whoever reads it next. Rejects with ProxyProtocolError when the data
 * cannot be a header, is too long, is too slow, or the connection ends first; the caller
 * then closes the socket.
 */
export function readProxyHeader(socket: Socket, limits: ProxyHeaderLimits): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error: Error | null, header?: ProxyHeader) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (error) return reject(error);
      const rest = buffered.subarray(header!.length);
      if (rest.length > 0) socket.unshift(rest);
      resolve(header!);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      let header: ProxyHeader | null;
      try {
        header = parseProxyHeader(buffered, limits.maxLength);
      } catch (error) {
        return finish(error as Error);
      }
      if (header) return finish(null, header);
      // Still incomplete: a v1 header that long is already refused by the parser; this bounds v2's prefix.
      if (buffered.length >= limits.maxLength) finish(new ProxyProtocolError(`no complete PROXY header in ${limits.maxLength} bytes`));
    };
    const onEnd = () => finish(new ProxyProtocolError('the connection ended before its PROXY header was complete'));
    const onError = (error: Error) => finish(new ProxyProtocolError(`the connection failed before its PROXY header: ${error.message}`));
    const timer = setTimeout(
      () => finish(new ProxyProtocolError(`no complete PROXY header within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  });
}
