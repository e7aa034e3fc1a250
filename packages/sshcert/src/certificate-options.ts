import { WireReader } from './wire-reader.ts';
import { WireWriter } from './wire-writer.ts';

// Critical options and extensions are both a list of (string name, string data),
// sorted by name with no repeats (PROTOCOL.certkeys). For critical options the
// data is itself an SSH string holding the value, or empty for flags.

/** Extensions sshd knows; sshd rejects these when their data is not empty. */
const FLAG_EXTENSIONS = new Set([
  'no-touch-required',
  'permit-X11-forwarding',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'permit-user-rc',
]);

function byName(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function encodeCriticalOptions(options: Readonly<Record<string, string>>): Buffer {
  const writer = new WireWriter();
  for (const name of Object.keys(options).sort(byName)) {
    const value = options[name] ?? '';
    writer.string(name).string(value === '' ? Buffer.alloc(0) : new WireWriter().string(value).toBuffer());
  }
  return writer.toBuffer();
}

export function encodeExtensions(extensions: readonly string[]): Buffer {
  const writer = new WireWriter();
  for (const name of [...new Set(extensions)].sort(byName)) writer.string(name).string(Buffer.alloc(0));
  return writer.toBuffer();
}

/** Reads a name/data list, enforcing strict ascending order (which also rules out repeats). */
function readNamedList(bytes: Buffer, what: string, onEntry: (name: string, data: Buffer, reader: WireReader) => void): void {
  const reader = new WireReader(bytes, 'ERR_CERT_MALFORMED', `The certificate's ${what}`);
  let previous: Buffer | undefined;
  while (reader.remaining > 0) {
    const name = reader.text('name');
    const nameBytes = Buffer.from(name, 'utf8');
    if (previous !== undefined && Buffer.compare(previous, nameBytes) >= 0) reader.fail('names are not sorted or repeat');
    previous = nameBytes;
    onEntry(name, reader.string(`data of ${name}`), reader);
  }
}

export function decodeCriticalOptions(bytes: Buffer): Record<string, string> {
  const options: Record<string, string> = Object.create(null) as Record<string, string>;
  readNamedList(bytes, 'critical options', (name, data) => {
    if (data.length === 0) {
      options[name] = '';
      return;
    }
    const inner = new WireReader(data, 'ERR_CERT_MALFORMED', `The certificate's critical option ${JSON.stringify(name.slice(0, 40))}`);
    const value = inner.text('value');
    inner.end();
    options[name] = value;
  });
  return { ...options };
}

export function decodeExtensions(bytes: Buffer): string[] {
  const names: string[] = [];
  readNamedList(bytes, 'extensions', (name, data, reader) => {
    if (data.length !== 0 && FLAG_EXTENSIONS.has(name)) reader.fail(`extension ${name} must not carry data`);
    names.push(name);
  });
  return names;
}
