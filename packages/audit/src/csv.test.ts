import { describe, expect, it } from 'vitest';
import { CsvReader, CsvSyntaxError, csvRow } from './csv.ts';

const readAll = (text: string, pieceSize = text.length || 1) => {
  const reader = new CsvReader();
  const rows = [];
  for (let i = 0; i < text.length; i += pieceSize) rows.push(...reader.push(text.slice(i, i + pieceSize)));
  return [...rows, ...reader.end()];
};

describe('CSV', () => {
  const values = ['plain', null, '', 'a,b', 'say "hi"', 'two\nlines', 'crlf\r\n', ' spaced ', '=SUM(A1)', 'ünïcødé ✓'];

  it('reads back exactly what it wrote, null and the empty string apart, whatever the piece size', () => {
    const text = csvRow(values) + csvRow(['x', null]);
    expect(text.startsWith('plain,,"","a,b","say ""hi""","two\nlines","crlf\r\n", spaced ,=SUM(A1),ünïcødé ✓\n')).toBe(true);
    for (const size of [1, 2, 7, text.length]) {
      expect(readAll(text, size)).toEqual([{ line: 1, fields: values }, { line: 4, fields: ['x', null] }]);
    }
  });

  it('reads a last row without its newline', () => {
    expect(readAll('a,b\nc,d')).toEqual([{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['c', 'd'] }]);
  });

  it('refuses a stray quote, a carriage return outside quotes and an unclosed quote, naming the line', () => {
    for (const [text, line] of [['a\nb"c\n', 2], ['a\r\n', 1], ['a\n"b"c\n', 2], ['x\n"open\n', 2]] as const) {
      let error: unknown;
      try {
        readAll(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CsvSyntaxError);
      expect((error as CsvSyntaxError).line).toBe(line);
    }
  });
});
