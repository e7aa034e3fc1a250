import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, headless; the flags keep it off the network this machine does not have. */
export const CHROMIUM = process.env['ACCESS_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
