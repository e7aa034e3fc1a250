#!/bin/sh
# compose demo, step 2 (service "migrate"): migrations, then a gateway token and an admin
# token for step 3, each written once (0600) to the access-secrets volume.
set -eu
umask 077
dir=/run/access
server="/usr/local/bin/node /app/services/ca/bin/access-server.js"
$server migrate
[ -s "$dir/gateway-token" ] || $server token create --role gateway --description "compose gateway" > "$dir/gateway-token"
[ -s "$dir/admin-token" ] || $server token create --role admin --description "compose demo setup" > "$dir/admin-token"
