/**
 * Ciphers the gateway offers to engineers' clients and uses toward targets. The OpenSSH
 * client picks the first of its own list the server offers (chacha20-poly1305, then
 * AES-CTR, then AES-GCM); ssh2 runs chacha20-poly1305 partly in JavaScript and AES-CTR
 * needs a separate MAC pass, so only AES-GCM (one OpenSSL pass, every OpenSSH since 6.2)
 * is offered.
 */
export const CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];

export const KEX = ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256'];

export const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'];
