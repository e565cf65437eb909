#!/usr/bin/env bash
# Runs "$@" where a Secret Service (org.freedesktop.secrets) answers on the D-Bus session bus,
# so keytar works in tests.
#
# - If one already answers on the current session bus, the command runs directly.
# - Otherwise (headless machine, CI) the script starts a private session bus and a freshly unlocked
#   gnome-keyring (secrets component only) on it, both its own children. The keyring lives in a
#   temp folder (its own HOME / XDG_DATA_HOME / XDG_RUNTIME_DIR, for the keyring daemon only), so a
#   real user's keyring is never touched; the folder is removed afterwards.
# - TOLLGATE_TEST_KEYRING=isolated forces the private keyring even where one answers.
#
# The command's exit code passes through; SIGTERM/SIGINT/SIGHUP sent to this script are passed on to
# the command. When it ends, the keyring daemon and then the bus are stopped and waited for, so no
# process of theirs outlives the script (dbus-run-session only signals its bus on the way out, and
# the bus lingered after every run until init reaped it).
# Needs packages dbus and gnome-keyring (bash resources/setup.sh installs them).
#
# Usage: bash test/with-keyring.sh <command> [args...]
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: bash test/with-keyring.sh <command> [args...]" >&2
  exit 2
fi

# True when org.freedesktop.secrets is owned on the session bus and answers a ping.
# NameHasOwner first, so that a D-Bus activatable (but locked, prompting) keyring is never started.
secrets_answer() {
  if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
    # libdbus' own default when the variable is unset; anything else (autolaunch) is not wanted.
    if [[ -n "${XDG_RUNTIME_DIR:-}" && -S "$XDG_RUNTIME_DIR/bus" ]]; then
      export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"
    else
      return 1
    fi
  fi
  command -v dbus-send >/dev/null 2>&1 || return 1
  dbus-send --session --print-reply --reply-timeout=2000 --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets \
    2>/dev/null | grep -q 'boolean true' || return 1
  dbus-send --session --print-reply --reply-timeout=2000 --dest=org.freedesktop.secrets \
    /org/freedesktop/secrets org.freedesktop.DBus.Peer.Ping >/dev/null 2>&1
}

# run_forwarding <command...>: runs the command as a child that keeps this shell's stdin and the
# default SIGINT/SIGQUIT (a plain `cmd &` would get /dev/null and ignore them), passes
# SIGTERM/SIGINT/SIGHUP on to it as SIGTERM, and returns its exit status.
run_forwarding() {
  local child="" pending=0 rc
  # A signal that comes before the child's pid is known is passed on as soon as it is.
  trap 'if [[ -n "$child" ]]; then kill -TERM "$child" 2>/dev/null || true; else pending=1; fi' TERM INT HUP
  env --default-signal=INT,QUIT "$@" <&0 &
  child=$!
  if ((pending)); then kill -TERM "$child" 2>/dev/null || true; fi
  # `wait` returns early when a trapped signal arrives: wait again until the child is gone.
  while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
  set +e
  wait "$child"
  rc=$?
  set -e
  trap - TERM INT HUP
  return "$rc"
}

if [[ "${TOLLGATE_TEST_KEYRING:-}" != "isolated" ]] && secrets_answer; then
  exec "$@"
fi

missing=()
for tool in dbus-daemon dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "with-keyring: no Secret Service answers and ${missing[*]} not found; run: bash resources/setup.sh" >&2
  exit 1
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-keyring.XXXXXX")"
bus_pid=""
keyring_pid=""
# stop <pid-or-empty>: ends one of our children (SIGKILL if SIGTERM has not within ~5 s) and reaps it.
stop() {
  [[ -n "$1" ]] || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# The keyring first (a client of the bus), then the bus.
trap 'stop "$keyring_pid"; stop "$bus_pid"; rm -rf "$dir"' EXIT
trap 'exit 143' TERM INT HUP # until the command runs

mkdir -p "$dir/home" "$dir/data" "$dir/config" "$dir/cache" "$dir/run"
chmod 700 "$dir" "$dir/run"
unset GNOME_KEYRING_CONTROL

# fail <what>: says what did not start, with the private bus's and keyring's own output.
fail() {
  echo "with-keyring: $1:" >&2
  cat "$dir/dbus.log" "$dir/gnome-keyring.log" 2>/dev/null >&2 || true
  exit 1
}

dbus-daemon --session --nofork --print-address=3 3>"$dir/bus.address" >"$dir/dbus.log" 2>&1 &
bus_pid=$!
for _ in $(seq 1 100); do # up to ~10 s
  if [[ -s "$dir/bus.address" ]] || ! kill -0 "$bus_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
[[ -s "$dir/bus.address" ]] || fail "dbus-daemon did not start a session bus"
DBUS_SESSION_BUS_ADDRESS="$(head -n 1 "$dir/bus.address")"
export DBUS_SESSION_BUS_ADDRESS

# The password comes on stdin; a fresh login keyring is created with it and left unlocked.
printf '%s' "tollgate-test" | env \
  HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" \
  XDG_CACHE_HOME="$dir/cache" XDG_RUNTIME_DIR="$dir/run" \
  gnome-keyring-daemon --foreground --unlock --components=secrets \
  --control-directory="$dir/run/keyring" >"$dir/gnome-keyring.log" 2>&1 &
keyring_pid=$!

ready=0
for _ in $(seq 1 100); do # up to ~10 s
  if secrets_answer; then ready=1; break; fi
  if ! kill -0 "$keyring_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
[[ $ready -eq 1 ]] || fail "gnome-keyring-daemon did not provide org.freedesktop.secrets"

rc=0
run_forwarding "$@" || rc=$?
exit "$rc"
