#!/bin/sh
# compose demo, step 3 (service "enroll-target", once the CA is healthy): the demo target's
# host key and host certificate (host CA), the upstream CA key it trusts, and in the CA the
# host "demo-target", a role "demo" (login demo on env=demo hosts) granted to alice and bob.
set -eu
umask 077
keys=/run/access-demo
export ACCESS_TOKEN="$(cat /run/access/admin-token)"
export ACCESS_SERVER="${ACCESS_SERVER:-http://idp:3080}"
access="/usr/local/bin/node /app/cli/bin/access.js"

[ -s "$keys/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C demo-target -f "$keys/ssh_host_ed25519_key"
node /app/deploy/compose/setup-target-keys.mjs "$ACCESS_SERVER" "$keys"

$access hosts ls --json | grep -q '"demo-target"' || $access hosts add demo-target --addr target:2222 --labels env=demo
$access roles show demo >/dev/null 2>&1 || $access roles create demo --logins demo --labels env=demo --max-ttl 8h --pty --file-transfer --description "compose demo target"
for user in alice@example.com bob@example.com; do
  $access grants ls --user "$user" --role demo --active --json | grep -q '"id"' \
    || $access grants add --user "$user" --role demo --reason "compose demo"
done
echo "demo target enrolled: ssh demo@demo-target through the gateway on localhost:2222"
