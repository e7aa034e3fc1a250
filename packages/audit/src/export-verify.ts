import { createHash } from 'node:crypto';
import { fingerprint, parsePublicKey, SshSigError, verifySshSig, type SshPublicKey } from '@access/sshcert';
import { openExport, type ExportContents } from './export-contents.ts';
import { EXPORT_NAMESPACE, MANIFEST_FILE, SIGNATURE_FILE, parseManifest } from './export-manifest.ts';
import { failed, type ExportVerification } from './export-problems.ts';
import { checkEvents } from './export-verify-events.ts';

const MAX_MANIFEST = 64 * 1024 * 1024;
const MAX_SIGNATURE = 64 * 1024;

/**
 * Checks an export with nothing but the CA's public key (the user CA's): the signature over
 * manifest.json, then every record of the events file (its hash, its link to the one
 * before, seq without gaps, the run's ends as the manifest states them), then every other
 * file's size and sha256, then that no file is there the manifest does not list. Reports
 * the first problem. `input`: the archive's bytes, or the path of an archive or of the
 * directory it was extracted to. `caPublicKey`: a key or an OpenSSH public key line.
 */
export async function verifyExport(input: Uint8Array | string, caPublicKey: SshPublicKey | string): Promise<ExportVerification> {
  const key = typeof caPublicKey === 'string' ? parsePublicKey(caPublicKey) : caPublicKey;
  let contents: ExportContents;
  try {
    contents = await openExport(input);
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'it does not exist' : (error as Error).message;
    return failed('ERR_EXPORT_UNREADABLE', `the export cannot be read: ${reason}`);
  }
  try {
    return await verifyContents(contents, key);
  } finally {
    await contents.close();
  }
}

async function verifyContents(contents: ExportContents, key: SshPublicKey): Promise<ExportVerification> {
  const duplicate = contents.duplicates[0];
  if (duplicate !== undefined) return failed('ERR_EXPORT_FILE_EXTRA', `the archive holds ${duplicate} twice (tar -x keeps the last copy)`, { file: duplicate });
  const present = new Set(contents.names);
  if (!present.has(MANIFEST_FILE)) return failed('ERR_EXPORT_MANIFEST_MISSING', `${MANIFEST_FILE} is missing: this is not an audit export, or not all of it`, { file: MANIFEST_FILE });
  if (!present.has(SIGNATURE_FILE)) return failed('ERR_EXPORT_SIGNATURE_MISSING', `${SIGNATURE_FILE} is missing: nothing vouches for ${MANIFEST_FILE}`, { file: SIGNATURE_FILE });
  if (contents.size(MANIFEST_FILE) > MAX_MANIFEST || contents.size(SIGNATURE_FILE) > MAX_SIGNATURE) {
    return failed('ERR_EXPORT_MANIFEST_INVALID', `${MANIFEST_FILE} or its signature is too large to be one`);
  }
  const manifestBytes = await readAll(contents, MANIFEST_FILE);
  try {
    verifySshSig(await readAll(contents, SIGNATURE_FILE), manifestBytes, { publicKey: key, namespace: EXPORT_NAMESPACE });
  } catch (error) {
    if (!(error instanceof SshSigError)) throw error;
    const where = { file: SIGNATURE_FILE };
    switch (error.code) {
      case 'ERR_SSHSIG_WRONG_KEY':
        return failed('ERR_EXPORT_SIGNATURE_WRONG_KEY', `${MANIFEST_FILE} is not signed by this CA: ${error.message}`, where);
      case 'ERR_SSHSIG_NAMESPACE':
        return failed('ERR_EXPORT_SIGNATURE_NAMESPACE', `${SIGNATURE_FILE} is not an audit export signature: ${error.message}`, where);
      case 'ERR_SSHSIG_INVALID':
        return failed('ERR_EXPORT_SIGNATURE_INVALID', `${MANIFEST_FILE} was changed after the CA signed it (its signature does not match it)`, { file: MANIFEST_FILE });
      default:
        return failed('ERR_EXPORT_SIGNATURE_INVALID', `${SIGNATURE_FILE} is not a valid SSH signature: ${error.message}`, where);
    }
  }

  const manifest = parseManifest(manifestBytes.toString('utf8'));
  if (typeof manifest === 'string') return failed('ERR_EXPORT_MANIFEST_INVALID', `${MANIFEST_FILE} is signed by the CA but cannot be read: ${manifest}`, { file: MANIFEST_FILE });
  if (manifest.caFingerprint !== fingerprint(key.blob)) {
    return failed('ERR_EXPORT_MANIFEST_INVALID', `${MANIFEST_FILE} names the CA key ${manifest.caFingerprint}, but ${fingerprint(key.blob)} signed it`, { file: MANIFEST_FILE });
  }

  const [events, ...others] = manifest.files;
  if (!present.has(events!.name)) return failed('ERR_EXPORT_FILE_MISSING', `${events!.name} is missing`, { file: events!.name });
  const walked = await checkEvents(contents, manifest);
  if (walked.problem) return { ok: false, problem: walked.problem };
  for (const file of [{ ...events!, actual: walked }, ...others.map((f) => ({ ...f, actual: undefined }))]) {
    if (!present.has(file.name)) return failed('ERR_EXPORT_FILE_MISSING', `${file.name} is missing (the signed manifest lists it)`, { file: file.name });
    const actual = file.actual ?? (await digest(contents, file.name));
    if (actual.size !== file.size || actual.sha256 !== file.sha256) {
      const note = file.actual ? ' (every record in it checks out, so what changed is the bytes around them: spacing, key order, line endings)' : '';
      return failed('ERR_EXPORT_FILE_CHANGED', `${file.name} was changed: its ${actual.size !== file.size ? 'size' : 'sha256'} is not the one in the signed manifest${note}`, { file: file.name });
    }
  }
  const listed = new Set([MANIFEST_FILE, SIGNATURE_FILE, ...manifest.files.map((f) => f.name)]);
  const extra = [...contents.names.filter((name) => !listed.has(name)), ...contents.irregular][0];
  if (extra !== undefined) return failed('ERR_EXPORT_FILE_EXTRA', `${extra} is not part of the export (the signed manifest does not list it)`, { file: extra });

  return {
    ok: true,
    count: manifest.count,
    firstSeq: manifest.firstSeq === null ? null : BigInt(manifest.firstSeq),
    lastSeq: manifest.lastSeq === null ? null : BigInt(manifest.lastSeq),
    headSeq: BigInt(manifest.headSeq),
    headHash: manifest.headHash,
    createdAt: manifest.createdAt,
    caFingerprint: manifest.caFingerprint,
    filter: manifest.filter,
    sessions: others.filter((f) => f.name.endsWith('.cast')).length,
  };
}

async function readAll(contents: ExportContents, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of contents.chunks(name)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function digest(contents: ExportContents, name: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of contents.chunks(name)) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}
