/** Builds SFTP v3 packets for the unit tests, field by field as the draft lays them out. */

type Field = number | bigint | string | Buffer;

/** A number is a uint32, a bigint a uint64, a string or Buffer an SFTP `string`. */
export function packet(type: number, ...fields: Field[]): Buffer {
  const parts = fields.map((field) => {
    if (typeof field === 'number') return u32(field);
    if (typeof field === 'bigint') {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(field);
      return b;
    }
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    return Buffer.concat([u32(bytes.length), bytes]);
  });
  const body = Buffer.concat([Buffer.from([type]), ...parts]);
  return Buffer.concat([u32(body.length), body]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export const FXF = { READ: 0x01, WRITE: 0x02, APPEND: 0x04, CREAT: 0x08, TRUNC: 0x10 } as const;
const EMPTY_ATTRS = 0; // attribute flags with no attributes

export const sftp = {
  init: () => packet(1, 3),
  version: (version = 3) => packet(2, version),
  open: (id: number, path: string | Buffer, pflags: number) => packet(3, id, path, pflags, EMPTY_ATTRS),
  close: (id: number, handle: string) => packet(4, id, handle),
  read: (id: number, handle: string, offset: bigint, length: number) => packet(5, id, handle, offset, length),
  write: (id: number, handle: string, offset: bigint, data: Buffer) => packet(6, id, handle, offset, data),
  opendir: (id: number, path: string) => packet(11, id, path),
  readdir: (id: number, handle: string) => packet(12, id, handle),
  remove: (id: number, path: string | Buffer) => packet(13, id, path),
  mkdir: (id: number, path: string) => packet(14, id, path, EMPTY_ATTRS),
  rmdir: (id: number, path: string) => packet(15, id, path),
  rename: (id: number, from: string, to: string) => packet(18, id, from, to),
  posixRename: (id: number, from: string, to: string) => packet(200, id, 'posix-rename@openssh.com', from, to),
  status: (id: number, code = 0) => packet(101, id, code, code === 0 ? 'Success' : 'Failure', ''),
  handle: (id: number, handle: string) => packet(102, id, handle),
  data: (id: number, data: Buffer) => packet(103, id, data),
  name: (id: number, filename: string) => packet(104, id, 1, filename, filename, EMPTY_ATTRS),
};
