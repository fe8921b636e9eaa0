#!/usr/bin/env bash
# Zero-LLM guard (DESIGN §1): fails when the server's dependency tree holds a language-model crate
# or when any tracked file names a language-model API host. Both lists: scripts/llm-denylist.txt.
#
#   scripts/check-zero-llm.sh              the real check
#   scripts/check-zero-llm.sh --self-test  proves the matchers catch every denylist entry in a fake
#                                          tree and a fake file, and pass near misses
set -euo pipefail
cd "$(dirname "$0")/.."

DENYLIST="scripts/llm-denylist.txt"
CARGO="${CARGO:-cargo}"

# The denylist's entries of one kind ("crate" or "host"), one a line.
entries() { awk -v kind="$1" '$1 == kind && NF >= 2 { print $2 }' "$DENYLIST"; }

# Reads `cargo tree` output (any --prefix, any --format starting with {p}) on stdin and prints each
# denied crate found, as "name vX.Y.Z". Names are compared whole, with `_` and `-` the same.
match_crates() {
  awk -v list="$DENYLIST" '
    function norm(s) { s = tolower(s); gsub(/_/, "-", s); return s }
    BEGIN {
      while ((getline line < list) > 0) {
        n = split(line, f, /[ \t]+/)
        if (n >= 2 && f[1] == "crate") deny[norm(f[2])] = 1
      }
    }
    {
      sub(/^[^A-Za-z0-9]+/, "")          # tree-drawing prefix, depth numbers are not used
      if (NF < 2 || $2 !~ /^v[0-9]/) next
      if (norm($1) in deny) print $1 " " $2
    }' | sort -u
}

# Extended regex matching any denied host as a whole name: not part of a longer label on either
# side (a subdomain of a denied host still matches). Case-insensitive use (grep -i).
host_regex() {
  local alternatives
  alternatives="$(entries host | sed 's/[.[\*^$+?(){}|]/\\&/g' | paste -sd'|' -)"
  printf '(^|[^A-Za-z0-9_-])(%s)([^A-Za-z0-9_-]|$)' "$alternatives"
}

# Reads NUL-separated file paths on stdin and prints "path:line:text" for each line naming a denied
# host. Binary files and the denylist itself are skipped.
match_hosts() {
  local regex
  regex="$(host_regex)"
  while IFS= read -r -d '' file; do
    [ "$file" = "$DENYLIST" ] && continue
    [ -f "$file" ] || continue
    grep -EIHni -e "$regex" -- "$file" || true
  done
}

# Tracked files plus new, not yet ignored ones (so a file is caught before it is committed).
project_files() { git ls-files -z --cached --others --exclude-standard; }

fail() { echo "zero-LLM check FAILED: $*" >&2; exit 1; }

self_test() {
  local crates hosts c h f found dir
  SELF_TEST_DIR="$(mktemp -d)"
  trap 'rm -rf "$SELF_TEST_DIR"' EXIT
  dir="$SELF_TEST_DIR"
  mapfile -t crates < <(entries crate)
  mapfile -t hosts < <(entries host)
  if [ "${#crates[@]}" -eq 0 ] || [ "${#hosts[@]}" -eq 0 ]; then fail "self-test: empty denylist"; fi

  # 1. Every denied crate is caught in a tree drawn as `cargo tree` draws it, with `_`/`-` swapped.
  {
    echo "companion-server v0.1.0 (/src/crates/server)"
    for c in "${crates[@]}"; do
      echo "│   ├── ${c} v0.1.0"
      echo "├── $(tr '_-' '-_' <<<"$c") v0.1.0 (*)"
    done
    echo "[build-dependencies]"
  } >"$dir/tree-bad.txt"
  found="$(match_crates <"$dir/tree-bad.txt")"
  for c in "${crates[@]}"; do
    grep -qx -- "$c v0.1.0" <<<"$found" || fail "self-test: crate $c not caught"
    grep -qx -- "$(tr '_-' '-_' <<<"$c") v0.1.0" <<<"$found" \
      || fail "self-test: crate $(tr '_-' '-_' <<<"$c") (spelled with _/- swapped) not caught"
  done

  # 2. Near misses pass: a denied name inside a longer name, or without a version.
  {
    echo "companion-server v0.1.0 (/src/crates/server)"
    for c in "${crates[@]}"; do
      grep -qix -- "crate ${c}x" "$DENYLIST" || echo "├── ${c}x v1.0.0"
      grep -qix -- "crate x${c}" "$DENYLIST" || echo "├── x${c} v1.0.0"
      echo "${c} is mentioned in a comment"
    done
    echo "serde v1.0.0"
  } >"$dir/tree-good.txt"
  found="$(match_crates <"$dir/tree-good.txt")"
  [ -z "$found" ] || fail "self-test: false positives: $found"

  # 3. Every denied host is caught in a fake source file, as a URL and in any case.
  mkdir -p "$dir/src"
  for h in "${hosts[@]}"; do
    printf 'let url = "https://%s/v1/chat";\n' "$h" >"$dir/src/bad-$(tr -c 'A-Za-z0-9' _ <<<"$h").rs"
    printf 'endpoint = "%s"\n' "$(tr '[:lower:]' '[:upper:]' <<<"$h")" \
      >"$dir/src/upper-$(tr -c 'A-Za-z0-9' _ <<<"$h").toml"
    printf 'base = "https://eu.%s"\n' "$h" >"$dir/src/sub-$(tr -c 'A-Za-z0-9' _ <<<"$h").toml"
    printf '# calls %s\n' "$h" >"$dir/src/eol-$(tr -c 'A-Za-z0-9' _ <<<"$h").sh"
  done
  found="$(find "$dir/src" -type f -print0 | match_hosts)"
  for f in "$dir"/src/*; do
    grep -q -- "^$f:1:" <<<"$found" || fail "self-test: host in $(cat "$f") not caught"
  done

  # 4. Near misses pass: a denied host inside a longer label, and prose without the host.
  mkdir -p "$dir/clean"
  for h in "${hosts[@]}"; do
    printf 'see https://x%s and %sx\n' "$h" "$h" >>"$dir/clean/near.md"
  done
  echo "The agent may use any model; this server calls none." >>"$dir/clean/near.md"
  found="$(find "$dir/clean" -type f -print0 | match_hosts)"
  [ -z "$found" ] || fail "self-test: false positives: $found"

  # 5. The denylist itself is never reported.
  found="$(printf '%s\0' "$DENYLIST" | match_hosts)"
  [ -z "$found" ] || fail "self-test: the denylist reported itself"

  echo "zero-LLM self-test ok: ${#crates[@]} crates and ${#hosts[@]} hosts caught, near misses pass"
}

check() {
  local tree found status=0 mode
  for mode in "as built" "all features"; do
    local args=(tree --locked -p companion-server -e "normal,build" --prefix none --format '{p}')
    [ "$mode" = "all features" ] && args+=(--all-features)
    tree="$("$CARGO" "${args[@]}")" || fail "cargo tree failed"
    [ -n "$tree" ] || fail "cargo tree printed nothing"
    found="$(match_crates <<<"$tree")"
    if [ -n "$found" ]; then
      echo "zero-LLM violation: companion-server ($mode) depends on:" >&2
      printf '  %s\n' "${found//$'\n'/$'\n'  }" >&2
      status=1
    fi
  done
  found="$(project_files | match_hosts)"
  if [ -n "$found" ]; then
    echo "zero-LLM violation: these lines name a language-model API host:" >&2
    printf '  %s\n' "${found//$'\n'/$'\n'  }" >&2
    status=1
  fi
  [ "$status" -eq 0 ] || fail "see above (denylist: $DENYLIST)"
  echo "zero-LLM ok: companion-server's tree has none of $(entries crate | wc -l) denied crates;" \
    "no project file names any of $(entries host | wc -l) denied hosts"
}

case "${1:-}" in
  --self-test) self_test ;;
  "") check ;;
  *) echo "usage: $0 [--self-test]" >&2; exit 2 ;;
esac
