/**
 * CSV as RFC 4180 quotes it, with one addition so that values survive exactly: an empty
 * unquoted field is null and `""` is the empty string. Rows end in `\n`; a value holding a
 * comma, a quote, `\r` or `\n` is quoted, quotes doubled. Nothing is escaped against
 * spreadsheet formula injection: a verifier needs the exact bytes back.
 */

const MAX_FIELD = 8 * 1024 * 1024;

export function csvRow(values: readonly (string | null)[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

function csvField(value: string | null): string {
  if (value === null) return '';
  return value === '' || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export interface CsvRow {
  /** The physical line (from 1) the row starts on; a quoted value may span lines. */
  line: number;
  fields: (string | null)[];
}

export class CsvSyntaxError extends Error {
  readonly code = 'ERR_CSV_SYNTAX';

  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

type State = 'field-start' | 'unquoted' | 'quoted' | 'quote-in-quoted';

const UNQUOTED_SPECIAL = /[,\n"\r]/g;

/** Parses text pushed in pieces of any size; returns the rows each piece completes. */
export class CsvReader {
  #line = 1;
  #rowLine = 1;
  #state: State = 'field-start';
  #field = '';
  #fields: (string | null)[] = [];
  #rows: CsvRow[] = [];

  /** The physical line being read. */
  get line(): number {
    return this.#line;
  }

  push(text: string): CsvRow[] {
    let i = 0;
    while (i < text.length) {
      // Runs of plain characters are copied whole; only the characters that matter are looked at one by one.
      if (this.#state === 'quoted') {
        // Up to the first quote that is not a doubled one: JSON values are full of doubled quotes.
        let quote = text.indexOf('"', i);
        while (quote >= 0 && text[quote + 1] === '"') quote = text.indexOf('"', quote + 2);
        const end = quote < 0 ? text.length : quote;
        if (end > i) this.#appendRun(text.slice(i, end).replaceAll('""', '"'));
        i = end;
        if (i === text.length) break;
      } else if (this.#state === 'unquoted') {
        UNQUOTED_SPECIAL.lastIndex = i;
        const end = UNQUOTED_SPECIAL.exec(text)?.index ?? text.length;
        if (end > i) this.#appendRun(text.slice(i, end));
        i = end;
        if (i === text.length) break;
      }
      this.#take(text[i]!);
      i += 1;
    }
    return this.#drain();
  }

  /** The last row when the text does not end in a newline; throws inside an open quote. */
  end(): CsvRow[] {
    if (this.#state === 'quoted') throw new CsvSyntaxError(this.#rowLine, `the quoted value that starts on line ${this.#rowLine} is never closed`);
    if (this.#state !== 'field-start' || this.#fields.length > 0) this.#endRow();
    return this.#drain();
  }

  #take(char: string): void {
    switch (this.#state) {
      case 'field-start':
        if (char === '"') this.#state = 'quoted';
        else if (char === ',') this.#fields.push(null);
        else if (char === '\n') {
          this.#fields.push(null);
          this.#endRow();
        } else {
          this.#state = 'unquoted';
          this.#append(char);
        }
        return;
      case 'unquoted':
        if (char === ',') this.#endField();
        else if (char === '\n') this.#endRow();
        else this.#append(char);
        return;
      case 'quoted':
        if (char === '"') this.#state = 'quote-in-quoted';
        else this.#append(char);
        return;
      case 'quote-in-quoted':
        if (char === '"') {
          this.#state = 'quoted';
          this.#append('"');
        } else if (char === ',') this.#endField();
        else if (char === '\n') this.#endRow();
        else throw this.#error('a quote inside a quoted value must be doubled ("")');
        return;
    }
  }

  #appendRun(run: string): void {
    for (let at = run.indexOf('\n'); at >= 0; at = run.indexOf('\n', at + 1)) this.#line += 1;
    this.#field += run;
    if (this.#field.length > MAX_FIELD) throw this.#error(`a value is longer than ${MAX_FIELD} characters`);
  }

  #append(char: string): void {
    if (this.#state === 'unquoted' && (char === '"' || char === '\r')) throw this.#error('a value holding a quote or a carriage return must be quoted');
    if (char === '\n') this.#line += 1;
    this.#field += char;
    if (this.#field.length > MAX_FIELD) throw this.#error(`a value is longer than ${MAX_FIELD} characters`);
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#field = '';
    this.#state = 'field-start';
  }

  #endRow(): void {
    if (this.#state !== 'field-start') this.#endField();
    this.#rows.push({ line: this.#rowLine, fields: this.#fields });
    this.#fields = [];
    this.#line += 1;
    this.#rowLine = this.#line;
  }

  #drain(): CsvRow[] {
    const rows = this.#rows;
    this.#rows = [];
    return rows;
  }

  #error(message: string): CsvSyntaxError {
    return new CsvSyntaxError(this.#line, message);
  }
}
