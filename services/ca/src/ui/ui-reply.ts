import type { FastifyReply } from 'fastify';
import type { Html } from './html.ts';
import { UI_HEADERS } from './layout.ts';

export function sendPage(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.status(status).headers(UI_HEADERS).type('text/html; charset=utf-8').send(String(body));
}

/** After a change: back to a page (POST, redirect, GET), with a fixed notice. */
export function seeOther(reply: FastifyReply, path: string, done?: string): FastifyReply {
  const url = done ? `${path}${path.includes('?') ? '&' : '?'}done=${encodeURIComponent(done)}` : path;
  return reply.headers({ 'cache-control': 'no-store' }).redirect(url, 303);
}
