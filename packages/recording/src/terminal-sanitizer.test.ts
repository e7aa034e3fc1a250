import { describe, expect, it } from 'vitest';
import { createOutputSanitizer } from './terminal-sanitizer.ts';

const clean = (...chunks: string[]) => {
  const s = createOutputSanitizer();
  return chunks.map(s).join('');
};

describe('createOutputSanitizer', () => {
  it('passes text, colors, cursor moves, modes and charsets unchanged', () => {
    const drawing = 'a\x1b[1;31mred\x1b[0m\r\n\x1b[2J\x1b[H\x1b[?1049h\x1b[?25l\x1b(B\x1b7\x1b8\x1b[3;5r\x1b[2 q ☃\x07';
    expect(clean(drawing)).toBe(drawing);
  });

  it('drops what makes the terminal answer or act: reports, window operations, clipboard, DCS', () => {
    expect(clean('a\x1b[6nb\x1b[cc\x1b[>0cd\x1b[21te\x1b[8;100;200tf\x1b[?2004$pg\x1bZh\x1b[5ii')).toBe('abcdefghi');
    expect(clean('x\x1b]52;c;cm0gLXJmIH4=\x07y\x1b]0;title\x1b\\z\x1bP$qm\x1b\\w\x9d8;;http://e\x9cv')).toBe('xyzwv');
  });

  it('keeps its place across chunks, even inside a sequence', () => {
    expect(clean('a\x1b', '[6', 'nb\x1b]52;c;', 'aGk=', '\x1b', '\\c\x1b[3', '1mred')).toBe('abc\x1b[31mred');
  });

  it('ends an unterminated string at the next escape sequence', () => {
    expect(clean('\x1b]52;c;aGk=\x1b[1mbold')).toBe('\x1b[1mbold');
  });
});
