/**
 * The `m` marker the gateway records in place of keystrokes typed at a secret prompt. The text
 * is part of the recording format: exports and auditors' tools read it back.
 */
const MARKER = /^input redacted: (\d+) bytes?(?: |$)/;

export function formatRedactionMarker(bytes: number): string {
  return `input redacted: ${bytes} ${bytes === 1 ? 'byte' : 'bytes'} typed with echo off`;
}

/** The number of bytes a redaction marker stands for; null for any other marker. Only the start is read, so a reworded tail still counts. */
export function parseRedactionMarker(text: string): number | null {
  const m = MARKER.exec(text);
  return m ? Number(m[1]) : null;
}
