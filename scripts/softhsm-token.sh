#!/bin/sh
# Creates a throwaway SoftHSM token in its own directory and prints the environment
# to use it, as shell assignments:  eval "$(scripts/softhsm-token.sh)"
# Arguments (all optional): LABEL (default symbolon-test), DIR (default: a new temp dir).
# The user PIN is written to $DIR/user.pin (mode 0600) and exported by the *name* of its
# variable (SYMBOLON_PKCS11_PIN), never passed as a command-line flag to symbolon.
set -eu
LABEL="${1:-symbolon-test}"
DIR="${2:-$(mktemp -d "${TMPDIR:-/tmp}/symbolon-softhsm.XXXXXX")}"
command -v softhsm2-util >/dev/null 2>&1 || { echo "softhsm2-util not found: apt-get install -y softhsm2" >&2; exit 1; }
MODULE=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
  if [ -f "$m" ]; then MODULE="$m"; break; fi
done
[ -n "$MODULE" ] || { echo "libsofthsm2.so not found" >&2; exit 1; }
mkdir -p "$DIR/tokens"
chmod 700 "$DIR"
cat > "$DIR/softhsm2.conf" <<CONF
directories.tokendir = $DIR/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
umask 077
SO_PIN="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
USER_PIN="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$USER_PIN" > "$DIR/user.pin"
SOFTHSM2_CONF="$DIR/softhsm2.conf" softhsm2-util --init-token --free --label "$LABEL" --so-pin "$SO_PIN" --pin "$USER_PIN" >/dev/null
echo "export SOFTHSM2_CONF='$DIR/softhsm2.conf'"
echo "export SYMBOLON_PKCS11_MODULE='$MODULE'"
echo "export SYMBOLON_PKCS11_TOKEN_LABEL='$LABEL'"
echo "export SYMBOLON_PKCS11_PIN_FILE='$DIR/user.pin'"
echo "export SYMBOLON_PKCS11_PIN='$USER_PIN'"
echo "export SYMBOLON_SOFTHSM_DIR='$DIR'"
