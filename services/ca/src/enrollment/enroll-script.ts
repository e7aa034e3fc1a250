import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const SCRIPT_PATH = fileURLToPath(new URL('./access-enroll.sh', import.meta.url));
const PLACEHOLDER = "'@ACCESS_CA_URL@'";

/** Loads the enrollment script once and bakes in the CA's public URL. */
export function enrollScript(publicUrl: string): () => Promise<string> {
  let text: Promise<string> | null = null;
  return () => {
    text ??= readFile(SCRIPT_PATH, 'utf8').then((script) => {
      // The URL lands inside single quotes in sh: refuse anything that could end them.
      if (!/^https?:\/\/[A-Za-z0-9.:[\]_~%/-]+$/.test(publicUrl)) throw new Error(`the public URL ${JSON.stringify(publicUrl)} cannot be baked into the enrollment script`);
      if (!script.includes(PLACEHOLDER)) throw new Error(`${SCRIPT_PATH} lacks the ${PLACEHOLDER} placeholder`);
      return script.replace(PLACEHOLDER, `'${publicUrl}'`);
    });
    return text;
  };
}

/** The one line an admin pastes on the server. */
export const enrollCommand = (publicUrl: string, token: string): string => `curl -fsS ${publicUrl}/enroll.sh | sh -s -- --token ${token}`;
