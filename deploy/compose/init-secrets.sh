#!/bin/sh
# compose demo, step 1 (service "secrets"): the demo's secrets, each 0600 and owned by the
# services' user (65532), in the access-secrets volume. Idempotent: keeps what exists.
set -eu
umask 077
dir=/run/access
chmod 0700 "$dir"
if [ ! -s "$dir/pg-password" ]; then
  node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("base64url"))' > "$dir/pg-password"
fi
# PostgreSQL's password file format (host:port:database:user:password), read by node-postgres via PGPASSFILE.
printf 'postgres:5432:access:access:%s\n' "$(cat "$dir/pg-password")" > "$dir/pgpass"
# The client secret Dex has in deploy/compose/dex.yaml (a public demo value).
printf 'access-demo-client-secret\n' > "$dir/oidc-client-secret"
ls -l "$dir"
