#!/usr/bin/env bash
# Runs "$@" where a Secret Service (org.freedesktop.secrets) answers on the D-Bus session bus,
# so keytar works in tests.
#
# - If one already answers on the current session bus, the command runs directly.
# - Otherwise (headless machine, CI) the script re-runs itself inside `dbus-run-session` with a
#   private, freshly unlocked gnome-keyring (secrets component only). The keyring lives in a temp
#   folder (its own HOME / XDG_DATA_HOME / XDG_RUNTIME_DIR, for the keyring daemon only), so a real
#   user's keyring is never touched; the folder is removed afterwards.
# - TOLLGATE_TEST_KEYRING=isolated forces the private keyring even where one answers.
#
# The command's exit code passes through; SIGTERM/SIGINT/SIGHUP sent to this script are passed on to
# the command, and the private bus and keyring daemon end with it.
# Needs packages dbus and gnome-keyring (bash resources/setup.sh installs them).
#
# Usage: bash test/with-keyring.sh <command> [args...]
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: bash test/with-keyring.sh <command> [args...]" >&2
  exit 2
fi

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")"

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

# run_forwarding <pidfile-or-empty> <command...>: runs the command as a child that keeps this
# shell's stdin and the default SIGINT/SIGQUIT (a plain `cmd &` would get /dev/null and ignore
# them), passes SIGTERM/SIGINT/SIGHUP on to it as SIGTERM (to the pid in <pidfile> once that
# exists, else to the child itself), and returns its exit status.
run_forwarding() {
  local pidfile="$1" child rc target
  shift
  env --default-signal=INT,QUIT "$@" <&0 &
  child=$!
  # shellcheck disable=SC2317 # called by the trap below
  forward() {
    target="$child"
    if [[ -n "$pidfile" && -s "$pidfile" ]]; then target="$(cat "$pidfile")"; fi
    kill -TERM "$target" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
  }
  trap forward TERM INT HUP
  # `wait` returns early when a trapped signal arrives: wait again until the child is gone.
  while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
  set +e
  wait "$child"
  rc=$?
  set -e
  trap - TERM INT HUP
  return "$rc"
}

# --- inner part: inside our own dbus-run-session ------------------------------------------------
if [[ -n "${_TOLLGATE_KEYRING_DIR:-}" ]]; then
  dir="$_TOLLGATE_KEYRING_DIR"
  unset _TOLLGATE_KEYRING_DIR GNOME_KEYRING_CONTROL
  echo "$$" >"$dir/inner.pid"
  mkdir -p "$dir/home" "$dir/data" "$dir/config" "$dir/cache" "$dir/run"
  chmod 700 "$dir" "$dir/run"

  # The password comes on stdin; a fresh login keyring is created with it and left unlocked.
  printf '%s' "tollgate-test" | env \
    HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" \
    XDG_CACHE_HOME="$dir/cache" XDG_RUNTIME_DIR="$dir/run" \
    gnome-keyring-daemon --foreground --unlock --components=secrets \
    --control-directory="$dir/run/keyring" >"$dir/gnome-keyring.log" 2>&1 &
  keyring_pid=$!
  trap 'kill "$keyring_pid" 2>/dev/null || true; wait "$keyring_pid" 2>/dev/null || true' EXIT
  trap 'exit 143' TERM INT HUP # until the command runs

  ready=0
  for _ in $(seq 1 100); do # up to ~10 s
    if secrets_answer; then ready=1; break; fi
    if ! kill -0 "$keyring_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [[ $ready -ne 1 ]]; then
    echo "with-keyring: gnome-keyring-daemon did not provide org.freedesktop.secrets:" >&2
    cat "$dir/gnome-keyring.log" >&2 || true
    exit 1
  fi

  rc=0
  run_forwarding "" "$@" || rc=$?
  exit "$rc"
fi

# --- outer part ----------------------------------------------------------------------------------
if [[ "${TOLLGATE_TEST_KEYRING:-}" != "isolated" ]] && secrets_answer; then
  exec "$@"
fi

missing=()
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "with-keyring: no Secret Service answers and ${missing[*]} not found; run: bash resources/setup.sh" >&2
  exit 1
fi

keyring_dir="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-keyring.XXXXXX")"
trap 'rm -rf "$keyring_dir"' EXIT

rc=0
_TOLLGATE_KEYRING_DIR="$keyring_dir" run_forwarding "$keyring_dir/inner.pid" \
  dbus-run-session -- bash "$self" "$@" || rc=$?
exit "$rc"
