#!/usr/bin/env bash
# Checks the systemd units of an install tree (deploy/scripts/install.sh --root TREE): `systemd-analyze verify` (with
# ExecStart pointed at the tree's binary, since the host has none installed) and `systemd-analyze security --offline`
# at or below 3.0 ("OK") for opml-node.service and an instance of opml-node@.service.
#   usage: deploy/scripts/check-units.sh TREE
set -euo pipefail
tree=$(cd "$1" && pwd)
limit=3.0
command -v systemd-analyze >/dev/null || { echo "check-units: systemd-analyze is missing (apt-get install systemd)" >&2; exit 1; }
units=$(mktemp -d); trap 'rm -rf "$units"' EXIT
for u in opml-node.service opml-node@.service; do
  sed "s#/usr/local/bin/opml-node#$tree/opt/opml-node/opml-node#" "$tree/etc/systemd/system/$u" > "$units/$u"
done
cp "$units/opml-node@.service" "$units/opml-node@verifier.service"
systemd-analyze verify "$units/opml-node.service" "$units/opml-node@verifier.service"
echo "systemd-analyze verify: ok"
for u in opml-node.service opml-node@verifier.service; do
  # (--threshold does not work with --offline in systemd 252: the score is read off the last line)
  score=$(systemd-analyze security --offline=yes --no-pager "$units/$u" | sed -nE 's/.*Overall exposure level for [^:]+: ([0-9.]+).*/\1/p')
  [ -n "$score" ] || { echo "check-units: no exposure score for $u" >&2; exit 1; }
  echo "systemd-analyze security $u: $score (limit $limit)"
  awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s <= l) }' || { echo "check-units: $u exposure $score is above $limit" >&2; exit 1; }
done
