// compose demo: writes the demo target's sshd trust files from the running CA.
//   node setup-target-keys.mjs <CA URL> <dir>   (ACCESS_TOKEN: an admin token)
// <dir>/trusted_user_ca_keys ← the upstream CA keys (GET /v1/ca trustedUserCaKeys)
// <dir>/ssh_host_ed25519_key-cert.pub ← a 90-day host certificate for "demo-target"
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [caUrl, dir] = process.argv.slice(2);
const token = process.env.ACCESS_TOKEN;
if (!caUrl || !dir || !token) throw new Error('usage: ACCESS_TOKEN=… node setup-target-keys.mjs <CA URL> <dir>');

const ca = await fetch(`${caUrl}/v1/ca`).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`GET /v1/ca: ${r.status}`))));
const trusted = Array.isArray(ca.trustedUserCaKeys) ? ca.trustedUserCaKeys.join('\n') : String(ca.trustedUserCaKeys);
writeFileSync(join(dir, 'trusted_user_ca_keys'), `${trusted.trim()}\n`, { mode: 0o600 });

const publicKey = readFileSync(join(dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
const response = await fetch(`${caUrl}/v1/certs/host`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ publicKey, principals: ['demo-target'], ttl: '90d', keyId: 'demo-target' }),
});
if (!response.ok) throw new Error(`POST /v1/certs/host: ${response.status} ${await response.text()}`);
const { certificate } = await response.json();
writeFileSync(join(dir, 'ssh_host_ed25519_key-cert.pub'), `${certificate.trim()}\n`, { mode: 0o600 });
console.log('demo-target: host certificate and trusted upstream CA written');
