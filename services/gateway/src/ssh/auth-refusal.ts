import type { Connection } from 'ssh2';

interface BannerCapable {
  userauthBanner?: (text: string) => void;
}

/**
 * Shows the engineer one line saying why they were refused (the OpenSSH client prints an
 * authentication banner on their terminal) before the refusal itself.
 */
export function sayBeforeRefusing(client: Connection, text: string): void {
  const protocol = (client as unknown as { _protocol?: BannerCapable })._protocol;
  protocol?.userauthBanner?.(`access: ${text.replace(/[\r\n]+/g, ' ')}\r\n`);
}
