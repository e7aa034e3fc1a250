/**
 * HTML built by a tagged template that escapes every interpolated value unless it is itself
 * `Html` made by this template. Recordings, audit details, names and labels are attacker-
 * controlled text: none of it can become markup, because no code path turns a string into
 * `Html` except `escape`.
 */
/** Only this module holds the key that makes Html. */
const MINT = Symbol('html');

export class Html {
  readonly #text: string;
  constructor(key: symbol, text: string) {
    if (key !== MINT) throw new TypeError('Html is made by the html`` template only');
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

/** What a template accepts: text (escaped), numbers, Html, lists of these, and nothing for null/undefined/false. */
export type HtmlValue = Html | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escape(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escape(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(MINT, out);
}
