#!/bin/sh
# access: enroll this server with the access CA (served by the CA at /enroll.sh).
#
#   curl -fsS https://ca.example/enroll.sh | sh -s -- --token acj_...
#
# Sends the host PUBLIC keys (never a private key) with a single-use join token, registers
# the host and installs, under /etc/ssh/access/ and one drop-in
# /etc/ssh/sshd_config.d/50-access.conf: the upstream CA as TrustedUserCAKeys, host
# certificates, the KRL as RevokedKeys, and no root, password or keyboard-interactive login.
# `sshd -t` must pass before anything is activated. A timer (or cron entry) refreshes the KRL
# and renews the host certificates, signing the renewal with the host's own key.
# Needs only: sh, curl, ssh-keygen, sshd. Run "sh access-enroll.sh --help" for the flags.
set -eu

CA_URL='@ACCESS_CA_URL@'
RENEW_NAMESPACE='access-host-renew@access'
ROOT=''
TOKEN="${ACCESS_JOIN_TOKEN:-}"
TOKEN_FILE=''
NAME=''
ADDRESSES=''
SSHD=/usr/sbin/sshd
MODE=install
DRY_RUN=no
RELOAD=yes
RENEW_NOW=no
CA_OVERRIDE=''

usage() {
  cat <<EOF
usage: access-enroll.sh --token acj_... [options]    enroll this server
       access-enroll.sh --refresh [--renew-now]      refresh the KRL, renew certificates when due
       access-enroll.sh --uninstall                  restore the sshd configuration from before

  --token TOKEN       the join token from "access hosts token" (or ACCESS_JOIN_TOKEN, or --token-file)
  --token-file FILE   read the join token from FILE, keeping it out of the process list
  --name NAME         the host name engineers type (default: this node's name)
  --address ADDR      an address the gateway dials, e.g. 10.0.0.5 or 10.0.0.5:2222 (repeatable;
                      the first is dialled; default: hostname -I, else the address the CA sees)
  --ca URL            the CA's URL (default: $CA_URL)
  --dry-run           print what would change and change nothing (the token is not used)
  --uninstall         restore every file this script replaced and remove what it added
  --refresh           what the installed timer runs
  --root DIR          a prefix for every path (tests, images); configs then name paths under DIR
  --sshd PATH         the sshd binary (default: /usr/sbin/sshd)
  --no-reload         do not reload sshd after a change
  --help              this text
EOF
}

die() { echo "access-enroll: $*" >&2; exit 1; }
say() { echo "access-enroll: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --token) [ $# -ge 2 ] || die "--token needs a value"; TOKEN="$2"; shift 2 ;;
    --token-file) [ $# -ge 2 ] || die "--token-file needs a value"; TOKEN_FILE="$2"; shift 2 ;;
    --name) [ $# -ge 2 ] || die "--name needs a value"; NAME="$2"; shift 2 ;;
    --address) [ $# -ge 2 ] || die "--address needs a value"; ADDRESSES="$ADDRESSES $2"; shift 2 ;;
    --ca) [ $# -ge 2 ] || die "--ca needs a value"; CA_URL="$2"; CA_OVERRIDE=yes; shift 2 ;;
    --root) [ $# -ge 2 ] || die "--root needs a value"; ROOT="$2"; shift 2 ;;
    --sshd) [ $# -ge 2 ] || die "--sshd needs a value"; SSHD="$2"; shift 2 ;;
    --dry-run) DRY_RUN=yes; shift ;;
    --uninstall) MODE=uninstall; shift ;;
    --refresh) MODE=refresh; shift ;;
    --renew-now) RENEW_NOW=yes; shift ;;
    --no-reload) RELOAD=no; shift ;;
    --help|-h) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

case "$ROOT" in *[!A-Za-z0-9/._-]*) die "--root may hold only letters, digits and / . _ -" ;; esac
ROOT="${ROOT%/}"
SSH_DIR="$ROOT/etc/ssh"
SSHD_CONFIG="$SSH_DIR/sshd_config"
DROPIN_DIR="$SSH_DIR/sshd_config.d"
DROPIN="$DROPIN_DIR/50-access.conf"
ACCESS_DIR="$SSH_DIR/access"
BACKUP_DIR="$ACCESS_DIR/backup"
MANIFEST="$BACKUP_DIR/manifest"
STATE="$ACCESS_DIR/state"
KRL="$ACCESS_DIR/revoked_keys"
TRUSTED="$ACCESS_DIR/trusted_user_ca_keys"
JOB="$ACCESS_DIR/access-enroll.sh"
CRON_FILE="$ROOT/etc/cron.d/access-ssh"
UNIT_DIR="$ROOT/etc/systemd/system"
UNIT=access-ssh-refresh

[ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || die "run as root (sshd's configuration is root's)"
command -v curl >/dev/null 2>&1 || die "curl is needed"
command -v ssh-keygen >/dev/null 2>&1 || die "ssh-keygen is needed"
[ -x "$SSHD" ] || die "no sshd at $SSHD (give --sshd PATH)"

umask 022
WORK=$(mktemp -d "${TMPDIR:-/tmp}/access-enroll.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

state_get() { sed -n "s/^$1=//p" "$STATE" 2>/dev/null | head -n 1; }

# Which scheduler runs --refresh: systemd on a live systemd host, else cron.d, else none.
scheduler() {
  if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && [ -d "$UNIT_DIR" ]; then echo systemd
  elif [ -d "$ROOT/etc/cron.d" ]; then echo cron
  else echo none; fi
}

# ---- talking to the CA -------------------------------------------------------------------

# http METHOD URL BODY_FILE OUT_FILE: prints the HTTP status; 000 when the CA cannot be reached.
http() {
  if [ "$1" = GET ]; then
    curl -sS --connect-timeout 10 --max-time 60 -o "$4" -w '%{http_code}' "$2" || echo 000
  else
    curl -sS --connect-timeout 10 --max-time 60 -o "$4" -w '%{http_code}' -H 'content-type: application/json' --data-binary "@$3" "$2" || echo 000
  fi
}

error_message() { sed -n 's/.*"message":"\([^"]*\)".*/\1/p' "$1" | head -n 1; }

# fetch_krl DEST: downloads the KRL and keeps it only if ssh-keygen reads it as one.
fetch_krl() {
  probe=$(ls "$SSH_DIR"/ssh_host_*_key.pub 2>/dev/null | head -n 1)
  [ -n "$probe" ] || { echo "no host public key to check the KRL with" >&2; return 1; }
  status=$(http GET "$CA_URL/v1/krl" - "$1")
  [ "$status" = 200 ] || { echo "the KRL could not be fetched from $CA_URL/v1/krl (HTTP $status)" >&2; rm -f "$1"; return 1; }
  # -Q exits 0 (not revoked) or 1 (revoked) for a KRL it can read, 255 for anything else.
  rc=0; ssh-keygen -Q -f "$1" "$probe" >/dev/null 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { echo "what $CA_URL/v1/krl answered is not a KRL" >&2; rm -f "$1"; return 1; }
}

# parse_answer FILE DIR: writes the CA's answer (keyword value lines) into files in DIR.
parse_answer() {
  sed -n 's/^trusted //p' "$1" > "$2/trusted_user_ca_keys"
  sed -n 's/^renew-after //p' "$1" > "$2/renew-after"
  [ -s "$2/trusted_user_ca_keys" ] || { echo "the CA sent no upstream CA key" >&2; return 1; }
  sed -n 's/^cert //p' "$1" | while read -r stem cert; do
    case "$stem" in ed25519|ecdsa|rsa) printf '%s\n' "$cert" > "$2/ssh_host_${stem}_key-cert.pub" ;; esac
  done
  ls "$2"/ssh_host_*_key-cert.pub >/dev/null 2>&1 || { echo "the CA sent no host certificate" >&2; return 1; }
}

# ---- what the files should hold -----------------------------------------------------------

# render_dropin STEMS...: the drop-in for host certificates of these key kinds.
render_dropin() {
  echo "# Managed by access enrollment; \"access-enroll.sh --uninstall\" removes it."
  echo "# Logins need a certificate from the access upstream CA, which only the gateway obtains,"
  echo "# for exactly the Linux login it names (AuthorizedPrincipalsFile none: principal = login)."
  echo "TrustedUserCAKeys $TRUSTED"
  echo "RevokedKeys $KRL"
  echo "AuthorizedPrincipalsFile none"
  for stem in "$@"; do echo "HostCertificate $ACCESS_DIR/ssh_host_${stem}_key-cert.pub"; done
  echo "PermitRootLogin no"
  echo "PasswordAuthentication no"
  echo "KbdInteractiveAuthentication no"
}

render_cron() {
  # A minute derived from the name: hosts do not all ask the CA at once, and reruns match.
  minute=$(printf '%s' "$1" | cksum | cut -d ' ' -f 1)
  minute=$((minute % 15))
  echo "# Managed by access enrollment: refreshes the KRL, renews host certificates when due."
  echo "SHELL=/bin/sh"
  echo "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
  echo "$minute,$((minute + 15)),$((minute + 30)),$((minute + 45)) * * * * root sh $JOB --refresh${ROOT:+ --root $ROOT} --sshd $SSHD"
}

render_service() {
  printf '%s\n' "[Unit]" "Description=access: refresh the SSH KRL and renew host certificates" "After=network-online.target" "" \
    "[Service]" "Type=oneshot" "ExecStart=/bin/sh $JOB --refresh --sshd $SSHD"
}

render_timer() {
  printf '%s\n' "[Unit]" "Description=access: refresh the SSH KRL every 15 minutes" "" \
    "[Timer]" "OnBootSec=2min" "OnUnitActiveSec=15min" "RandomizedDelaySec=60" "Persistent=true" "" "[Install]" "WantedBy=timers.target"
}

has_include() {
  grep -Eqi "^[[:space:]]*Include[[:space:]]+$DROPIN_DIR/\\*(\\.conf)?[[:space:]]*\$" "$SSHD_CONFIG"
}

# ---- staging, applying, undoing -----------------------------------------------------------

PLAN="$WORK/plan"
UNDO="$WORK/undo"
: > "$PLAN"
mkdir -p "$UNDO"
: > "$UNDO/list"

# stage DEST MODE: the desired contents come on stdin.
stage() {
  n=$(wc -l < "$PLAN" | tr -d ' ')
  cat > "$WORK/staged.$n"
  echo "$1 $2 $WORK/staged.$n" >> "$PLAN"
}

# Prints "create DEST" / "change DEST" for every staged file that differs from the disk.
changes() {
  while read -r dest mode staged; do
    if [ ! -e "$dest" ]; then echo "create $dest"
    elif ! cmp -s "$staged" "$dest"; then echo "change $dest"; fi
  done < "$PLAN"
}

outside_access_dir() { case "$1" in "$ACCESS_DIR"/*) return 1 ;; *) return 0 ;; esac; }

in_manifest() { awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' "$MANIFEST"; }

# record LINE: remember, once, how to undo a change outside /etc/ssh/access at --uninstall.
record() { grep -qxF "$1" "$MANIFEST" 2>/dev/null || echo "$1" >> "$MANIFEST"; }

ensure_dir() {
  [ -d "$1" ] && return 0
  mkdir -p "$1"
  outside_access_dir "$1" && record "dir $1"
  echo "rmdir $1" >> "$UNDO/list"
}

# Installs every changed file: a backup of what it replaces (kept for --uninstall), an undo
# entry for this run, then a temp file in the same directory renamed over the old one.
apply_plan() {
  mkdir -p "$BACKUP_DIR"
  chmod 700 "$BACKUP_DIR"
  touch "$MANIFEST"
  while read -r dest mode staged; do
    [ -e "$dest" ] && cmp -s "$staged" "$dest" && continue
    ensure_dir "$(dirname "$dest")"
    if [ -e "$dest" ]; then
      n=$(wc -l < "$UNDO/list" | tr -d ' ')
      cp -p "$dest" "$UNDO/file.$n"
      echo "restore $dest $UNDO/file.$n" >> "$UNDO/list"
      if outside_access_dir "$dest" && ! in_manifest "$dest"; then
        backup="$BACKUP_DIR/$(echo "$dest" | tr '/' '_')"
        cp -p "$dest" "$backup"
        record "replaced $dest $backup"
      fi
    else
      echo "remove $dest" >> "$UNDO/list"
      if outside_access_dir "$dest" && ! in_manifest "$dest"; then record "created $dest"; fi
    fi
    cp "$staged" "$dest.access-new"
    chmod "$mode" "$dest.access-new"
    mv -f "$dest.access-new" "$dest"
  done < "$PLAN"
}

# Puts back what this run changed, newest first.
undo_run() {
  [ -f "$UNDO/list" ] || return 0
  sed -n '1!G;h;$p' "$UNDO/list" | while read -r action path from; do
    case "$action" in
      restore) cp -p "$from" "$path.access-new" && mv -f "$path.access-new" "$path" ;;
      remove) rm -f "$path" ;;
      rmdir) rmdir "$path" 2>/dev/null || true ;;
    esac
  done
}

# sshd must accept the configuration, and its effective settings must be ours: a main file
# that sets a keyword before including the drop-in would win over it.
check_sshd() {
  if ! "$SSHD" -t -f "$SSHD_CONFIG" > "$WORK/sshd-t" 2>&1; then
    cat "$WORK/sshd-t" >&2
    echo "sshd -t refused the configuration" >&2
    return 1
  fi
  [ -f "$DROPIN" ] || return 0
  "$SSHD" -T -f "$SSHD_CONFIG" > "$WORK/sshd-T" 2>/dev/null || { echo "sshd -T failed" >&2; return 1; }
  for want in "trustedusercakeys $TRUSTED" "revokedkeys $KRL" "authorizedprincipalsfile none" \
    "permitrootlogin no" "passwordauthentication no" "kbdinteractiveauthentication no"; do
    grep -qixF "$want" "$WORK/sshd-T" || {
      echo "sshd would not use \"$want\": $SSHD_CONFIG sets it before including $DROPIN_DIR; move the Include to the top" >&2
      return 1
    }
  done
}

reload_sshd() {
  [ "$RELOAD" = yes ] || { say "not reloading sshd (--no-reload)"; return 0; }
  if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl reload ssh 2>/dev/null || systemctl reload sshd
  elif [ -f "$ROOT/run/sshd.pid" ]; then
    kill -HUP "$(cat "$ROOT/run/sshd.pid")"
  else
    say "sshd does not seem to run (no systemd, no $ROOT/run/sshd.pid): start it to use the new configuration"
  fi
}

# Applies the plan, checks sshd, or puts everything back and fails.
activate() {
  apply_plan
  if ! check_sshd; then
    undo_run
    die "nothing was activated; the previous configuration is back in place"
  fi
  reload_sshd
}

# ---- the modes ----------------------------------------------------------------------------

# Key kinds with a public key on this host, in the order sshd prefers them.
host_key_stems() {
  for stem in ed25519 ecdsa rsa; do [ -f "$SSH_DIR/ssh_host_${stem}_key.pub" ] && echo "$stem"; done
  return 0
}

# The files outside /etc/ssh/access: the drop-in, the Include, the scheduler.
stage_outer() {
  render_dropin $1 | stage "$DROPIN" 644
  if [ -f "$SSHD_CONFIG" ] && ! has_include; then
    { echo "Include $DROPIN_DIR/*.conf"; cat "$SSHD_CONFIG"; } | stage "$SSHD_CONFIG" 644
  fi
  case $(scheduler) in
    systemd) render_service | stage "$UNIT_DIR/$UNIT.service" 644; render_timer | stage "$UNIT_DIR/$UNIT.timer" 644 ;;
    cron) render_cron "$NAME" | stage "$CRON_FILE" 644 ;;
    none) say "no systemd and no $ROOT/etc/cron.d: run \"sh $JOB --refresh\" every 15 minutes yourself" ;;
  esac
  if http GET "$CA_URL/enroll.sh" - "$WORK/job" > "$WORK/job.status" && [ "$(cat "$WORK/job.status")" = 200 ]; then
    stage "$JOB" 755 < "$WORK/job"
  else
    say "could not fetch $CA_URL/enroll.sh; the installed copy stays as it is"
  fi
}

show_plan() {
  changes > "$WORK/changes"
  if [ ! -s "$WORK/changes" ]; then say "nothing to change"; return 0; fi
  sed 's/^/  would /' "$WORK/changes"
  if grep -q " $DROPIN\$" "$WORK/changes"; then echo "  $DROPIN would read:"; render_dropin $1 | sed 's/^/    /'; fi
}

# Second and later runs, and the second half of a first run: the outer files, checked and activated.
reconcile() {
  stems=$(for f in "$ACCESS_DIR"/ssh_host_*_key-cert.pub; do [ -f "$f" ] || continue; b=${f##*/ssh_host_}; echo "${b%_key-cert.pub}"; done)
  [ -n "$stems" ] || die "$ACCESS_DIR holds no host certificate: run with --refresh --renew-now"
  stage_outer "$stems"
  if [ "$DRY_RUN" = yes ]; then show_plan "$stems"; return 0; fi
  changes > "$WORK/changes"
  if [ ! -s "$WORK/changes" ]; then say "enrolled as $NAME; nothing to change"; return 0; fi
  sed 's/^/  /' "$WORK/changes"
  activate
  if [ "$(scheduler)" = systemd ] && grep -q "$UNIT" "$WORK/changes"; then
    systemctl daemon-reload && systemctl enable --now "$UNIT.timer"
  fi
  say "enrolled as $NAME; sshd uses the access CA"
}

enroll() {
  [ -z "$TOKEN_FILE" ] || TOKEN=$(head -n 1 "$TOKEN_FILE" | tr -d ' \r\n')
  [ -n "$TOKEN" ] || die "give the join token from \"access hosts token\": --token, --token-file or ACCESS_JOIN_TOKEN"
  case "$TOKEN" in acj_*) ;; *) die "a join token starts with acj_" ;; esac
  case "$TOKEN" in *[!A-Za-z0-9_-]*) die "the join token holds characters a join token never has" ;; esac
  [ -n "$NAME" ] || NAME=$(uname -n)
  NAME=$(printf '%s' "$NAME" | tr 'A-Z' 'a-z')
  case "$NAME" in ''|*[!a-z0-9.-]*) die "the host name \"$NAME\" must be lowercase letters, digits, \".\" and \"-\" (give --name)" ;; esac
  [ -n "$ADDRESSES" ] || ! command -v hostname >/dev/null 2>&1 || ADDRESSES=$(hostname -I 2>/dev/null || true)
  stems=$(host_key_stems)
  [ -n "$stems" ] || die "no host public key in $SSH_DIR (ssh_host_{ed25519,ecdsa,rsa}_key.pub)"
  "$SSHD" -t -f "$SSHD_CONFIG" || die "sshd -t refuses $SSHD_CONFIG as it is now: fix it first; nothing was changed"

  keys='' addrs=''
  for stem in $stems; do
    key=$(awk '{ print $1 " " $2; exit }' "$SSH_DIR/ssh_host_${stem}_key.pub")
    printf '%s' "$key" | grep -Eq '^[a-z0-9@.-]+ [A-Za-z0-9+/=]+$' || die "$SSH_DIR/ssh_host_${stem}_key.pub is not a public key"
    keys="$keys${keys:+,}\"$key\""
  done
  for a in $ADDRESSES; do
    printf '%s' "$a" | grep -Eq '^[][A-Za-z0-9.:-]+$' || die "the address \"$a\" is not an IP address or DNS name"
    addrs="$addrs${addrs:+,}\"$a\""
  done
  dry=false; [ "$DRY_RUN" = no ] || dry=true
  printf '{"token":"%s","name":"%s","addresses":[%s],"hostKeys":[%s],"dryRun":%s}' "$TOKEN" "$NAME" "$addrs" "$keys" "$dry" > "$WORK/request"

  # The KRL first: a CA whose KRL cannot be read is not enrolled with (and the token stays unused).
  fetch_krl "$WORK/revoked_keys" || die "nothing was changed"
  status=$(http POST "$CA_URL/v1/enroll?format=text" "$WORK/request" "$WORK/answer")
  case "$status" in
    200|201) ;;
    000) die "the CA at $CA_URL cannot be reached; nothing was changed" ;;
    *) die "the CA refused (HTTP $status): $(error_message "$WORK/answer"); nothing was changed" ;;
  esac

  if [ "$DRY_RUN" = yes ]; then
    say "dry run: nothing is changed and the join token stays unused"
    echo "  the CA would register $(sed -n 's/^name //p' "$WORK/answer") at $(sed -n 's/^address //p' "$WORK/answer") with labels $(sed -n 's/^labels //p' "$WORK/answer")"
    for f in "$STATE" "$TRUSTED" "$KRL"; do echo "  would create $f"; done
    for stem in $stems; do echo "  would create $ACCESS_DIR/ssh_host_${stem}_key-cert.pub"; done
    stage_outer "$stems"
    show_plan "$stems"
    return 0
  fi

  mkdir -p "$WORK/new"
  parse_answer "$WORK/answer" "$WORK/new" || die "the CA's answer was not understood; the host is registered: run again (no token needed) once fixed"
  # Inert files first: sshd reads none of them until the drop-in names them.
  printf 'name=%s\nca=%s\n' "$NAME" "$CA_URL" | stage "$STATE" 644
  stage "$TRUSTED" 644 < "$WORK/new/trusted_user_ca_keys"
  stage "$KRL" 644 < "$WORK/revoked_keys"
  stage "$ACCESS_DIR/renew-after" 644 < "$WORK/new/renew-after"
  for f in "$WORK"/new/ssh_host_*_key-cert.pub; do stage "$ACCESS_DIR/${f##*/}" 644 < "$f"; done
  apply_plan
  : > "$PLAN"
  : > "$UNDO/list"
  say "registered $NAME with the CA; installing the sshd configuration"
  reconcile
}

# What the timer runs. The KRL is replaced only by a file ssh-keygen reads as a KRL, renamed
# over the old one in the same directory: sshd never sees a missing or half-written file.
refresh() {
  failed=0
  if fetch_krl "$ACCESS_DIR/.revoked_keys.new"; then
    if cmp -s "$ACCESS_DIR/.revoked_keys.new" "$KRL"; then rm -f "$ACCESS_DIR/.revoked_keys.new"
    else chmod 644 "$ACCESS_DIR/.revoked_keys.new"; mv -f "$ACCESS_DIR/.revoked_keys.new" "$KRL"; say "updated the KRL"; fi
  else
    rm -f "$ACCESS_DIR/.revoked_keys.new"
    say "kept the previous KRL"
    failed=1
  fi
  after=$(cat "$ACCESS_DIR/renew-after" 2>/dev/null || echo 0)
  case "$after" in ''|*[!0-9]*) after=0 ;; esac
  if [ "$RENEW_NOW" = yes ] || [ "$(date +%s)" -ge "$after" ]; then renew || failed=1; fi
  return $failed
}

renew() {
  stem=$(host_key_stems | head -n 1)
  [ -n "$stem" ] || { echo "no host key to sign the renewal with" >&2; return 1; }
  msg="access-host-renew name=$NAME time=$(date +%s)"
  printf '%s' "$msg" > "$WORK/renew"
  # The private host key signs here, locally; only the signature is sent.
  ssh-keygen -q -Y sign -f "$SSH_DIR/ssh_host_${stem}_key" -n "$RENEW_NAMESPACE" "$WORK/renew" 2> "$WORK/sign.err" \
    || { cat "$WORK/sign.err" >&2; echo "could not sign the renewal with $SSH_DIR/ssh_host_${stem}_key" >&2; return 1; }
  sig=$(sed 's/$/\\n/' "$WORK/renew.sig" | tr -d '\n')
  printf '{"message":"%s","signature":"%s"}' "$msg" "$sig" > "$WORK/request"
  status=$(http POST "$CA_URL/v1/enroll/renew?format=text" "$WORK/request" "$WORK/answer")
  [ "$status" = 200 ] || { echo "the CA refused the renewal (HTTP $status): $(error_message "$WORK/answer")" >&2; return 1; }
  mkdir -p "$WORK/new"
  parse_answer "$WORK/answer" "$WORK/new" || return 1
  stage "$TRUSTED" 644 < "$WORK/new/trusted_user_ca_keys"
  stage "$ACCESS_DIR/renew-after" 644 < "$WORK/new/renew-after"
  for f in "$WORK"/new/ssh_host_*_key-cert.pub; do stage "$ACCESS_DIR/${f##*/}" 644 < "$f"; done
  activate
  say "renewed the host certificates"
}

uninstall() {
  if [ ! -f "$MANIFEST" ]; then say "not enrolled here (no $MANIFEST); nothing to uninstall"; return 0; fi
  cp "$MANIFEST" "$WORK/manifest"
  if [ "$DRY_RUN" = yes ]; then
    awk '$1 == "replaced" { print "  would restore " $2 } $1 == "created" { print "  would remove " $2 } $1 == "dir" { print "  would remove the directory " $2 }' "$WORK/manifest"
    echo "  would remove $ACCESS_DIR"
    return 0
  fi
  if [ "$(scheduler)" = systemd ] && [ -f "$UNIT_DIR/$UNIT.timer" ]; then systemctl disable --now "$UNIT.timer" || true; fi
  while read -r action path from; do
    case "$action" in
      replaced) cp -p "$from" "$path.access-new" && mv -f "$path.access-new" "$path"; echo "  restored $path" ;;
      created) rm -f "$path"; echo "  removed $path" ;;
    esac
  done < "$WORK/manifest"
  rm -rf "$ACCESS_DIR"
  sed -n 's/^dir //p' "$WORK/manifest" | sed -n '1!G;h;$p' | while read -r dir; do rmdir "$dir" 2>/dev/null || true; done
  [ "$(scheduler)" != systemd ] || systemctl daemon-reload || true
  "$SSHD" -t -f "$SSHD_CONFIG" || say "warning: sshd -t refuses the restored $SSHD_CONFIG"
  reload_sshd
  say "uninstalled; the CA still lists this host until an admin removes it (access hosts rm)"
}

# Once enrolled, the name and the CA come from the state file; --ca still wins (a moved CA).
if [ -f "$STATE" ]; then
  NAME=$(state_get name)
  [ -n "$CA_OVERRIDE" ] || CA_URL=$(state_get ca)
fi
case "$CA_URL" in http://*|https://*) ;; *) die "give the CA's URL with --ca https://…" ;; esac
CA_URL="${CA_URL%/}"

case "$MODE" in
  uninstall) uninstall ;;
  refresh) [ -f "$STATE" ] || die "not enrolled (no $STATE)"; refresh ;;
  install)
    if [ -f "$STATE" ]; then
      [ -z "$TOKEN$TOKEN_FILE" ] || say "already enrolled as $NAME: the join token is not needed (nor used)"
      reconcile
    else
      enroll
    fi ;;
esac
