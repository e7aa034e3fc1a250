import type { FastifyRequest } from 'fastify';
import { WEB_SESSION_TTL_SECONDS } from './web-sessions.ts';

/**
 * The web UI's session cookie. Over HTTPS it is `__Host-` prefixed (the browser then insists
 * on Secure, Path=/ and no Domain); on a loopback development URL it cannot be Secure.
 */
export function webCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https:') ? '__Host-access_ui' : 'access_ui';
}

export function webSessionCookie(publicUrl: string, secret: string, maxAge = WEB_SESSION_TTL_SECONDS): string {
  const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${webCookieName(publicUrl)}=${secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
}

export function clearedWebSessionCookie(publicUrl: string): string {
  return webSessionCookie(publicUrl, '', 0);
}

export function requestCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
