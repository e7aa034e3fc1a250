/** A GitHub-flavoured markdown table with padded columns, so it also reads well in a terminal. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const all = [header, ...rows].map((row) => header.map((_, i) => escape(row[i] ?? '')));
  const widths = header.map((_, i) => Math.max(3, ...all.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const [head, ...body] = all;
  return [line(head!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join('\n');
}
