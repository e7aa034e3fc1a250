import { describe, expect, it } from 'vitest';
import { escape, html } from './html.ts';

describe('html', () => {
  it('escapes interpolated text, including quotes that would end an attribute', () => {
    const name = `"><script>alert('x')</script>`;
    expect(String(html`<a title="${name}">${name}</a>`)).toBe(
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</a>',
    );
  });

  it('keeps nested templates as markup and escapes strings inside lists', () => {
    const rows = ['<b>', 'ok'].map((v) => html`<li>${v}</li>`);
    expect(String(html`<ul>${rows}</ul>`)).toBe('<ul><li>&lt;b&gt;</li><li>ok</li></ul>');
  });

  it('renders nothing for null, undefined and false, and numbers as text', () => {
    expect(String(html`${null}${undefined}${false}${0}${12n}`)).toBe('012');
  });

  it('escapes backticks and ampersands', () => {
    expect(escape('a&b`c')).toBe('a&amp;b&#96;c');
  });
});
