import { describe, expect, it } from 'vitest';
import { createCastParser, formatCast, formatEvent, formatHeader, parseCast, parseResize } from './asciicast.ts';
import { RecordingError } from './recording-errors.ts';

const HEADER = '{"version":2,"width":80,"height":24,"timestamp":1700000000,"env":{"TERM":"xterm-256color"},"title":"t"}';

describe('asciicast v2', () => {
  it('formats the header with version, width and height first', () => {
    expect(formatHeader({ title: 'x', height: 24, width: 80, version: 2 })).toBe('{"version":2,"width":80,"height":24,"title":"x"}');
  });

  it('rounds event times to microseconds and escapes control characters as JSON', () => {
    expect(formatEvent([1.23456789, 'o', '\x1b[1mhi\r\n'])).toBe('[1.234568,"o","\\u001b[1mhi\\r\\n"]');
    expect(formatEvent([0.0000004, 'i', 'a'])).toBe('[0,"i","a"]');
    expect(formatEvent([1e-6, 'r', '100x30'])).toBe('[0.000001,"r","100x30"]');
    expect(() => formatEvent([-1, 'o', ''])).toThrow(RecordingError);
  });

  it('writes a time too large to round to microseconds as it is, so the export reads back', () => {
    // Rounded, 1e303 s became Infinity, which JSON writes as null.
    expect(formatEvent([1e303, 'o', 'x'])).toBe('[1e+303,"o","x"]');
    const text = `${HEADER}\n[1.7976931348623157e+308,"o","x"]\n`;
    expect(parseCast(formatCast(parseCast(text))).events).toEqual([[Number.MAX_VALUE, 'o', 'x']]);
  });

  it('round-trips a recording with every event code', () => {
    const text = `${HEADER}\n[0.1,"o","$ "]\n[0.5,"i","l"]\n[1,"r","100x30"]\n[1.5,"m","input redacted: 9 bytes typed with echo off"]\n[2,"e","oops\\n"]\n`;
    const cast = parseCast(text);
    expect(cast.header).toMatchObject({ version: 2, width: 80, height: 24, env: { TERM: 'xterm-256color' } });
    expect(cast.events.map((e) => e[1])).toEqual(['o', 'i', 'r', 'm', 'e']);
    expect(formatCast(cast)).toBe(text);
  });

  it('accepts CRLF line ends, blank lines and a last line without a newline', () => {
    expect(parseCast(`${HEADER}\r\n\r\n[1,"o","a"]\r\n[2,"o","b"]`).events).toEqual([[1, 'o', 'a'], [2, 'o', 'b']]);
  });

  it('names the line and the problem of a bad line', () => {
    const cases: Array<[string, RegExp]> = [
      ['[1,"o","a"]\n', /^line 1: the header is not a JSON object/],
      ['{"version":1,"width":80,"height":24}\n', /^line 1: only asciicast version 2 is read, the header says version 1/],
      ['{"version":2,"width":0,"height":24}\n', /^line 1: the header's width is not a positive integer/],
      [`${HEADER}\n[1,"o","a"]\n[2,"o"\n`, /^line 3: the event is not JSON: "\[2,\\"o\\""/],
      [`${HEADER}\n[1,"x","a"]\n`, /^line 2: the event code is not one of o, i, r, m, e/],
      [`${HEADER}\n[-1,"o","a"]\n`, /^line 2: the event time is not a number of seconds ≥ 0/],
      [`${HEADER}\n[1,"o",5]\n`, /^line 2: the event data is not a string/],
      [`${HEADER}\n{"t":1}\n`, /^line 2: an event is \[seconds, code, data\]/],
    ];
    for (const [text, message] of cases) {
      const error = (() => {
        try {
          parseCast(text);
        } catch (e) {
          return e;
        }
      })();
      expect(error, text).toBeInstanceOf(RecordingError);
      expect((error as RecordingError).code).toBe('ERR_CAST_FORMAT');
      expect((error as RecordingError).message).toMatch(message);
    }
  });

  it('says an empty text has no header', () => {
    expect(() => parseCast('\n')).toThrow(expect.objectContaining({ code: 'ERR_CAST_EMPTY' }));
  });

  it('parses a stream split anywhere, even inside a line or a multi-byte character', () => {
    const text = `${HEADER}\n[0.1,"o","héllo ☃"]\n[0.2,"o","x"]\n`;
    for (let cut = 1; cut < text.length; cut += 7) {
      const parser = createCastParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut)), ...parser.end()];
      expect(events).toEqual([[0.1, 'o', 'héllo ☃'], [0.2, 'o', 'x']]);
      expect(parser.header?.width).toBe(80);
    }
  });

  it('reads resize data as COLSxROWS', () => {
    expect(parseResize('132x43')).toEqual({ cols: 132, rows: 43 });
    expect(parseResize('0x43')).toBeNull();
    expect(parseResize('132 x 43')).toBeNull();
  });
});
