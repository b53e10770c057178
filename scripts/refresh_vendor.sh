#!/usr/bin/env bash
# Refresh the JavaScript files that the built book serves itself (so that it reads with no
# network) from the npm registry. Needs npm; building the book does not.
#
#   scripts/refresh_vendor.sh                      # the pinned versions below
#   REQUIREJS=2.3.8 HTML_MANAGER=1.0.15 scripts/refresh_vendor.sh
#
# Writes into book/_static/vendor/:
#   require.js                        RequireJS (loads the widget manager's AMD modules)
#   html-manager/embed-amd.js.gz      @jupyter-widgets/html-manager, the 1.x line that renders
#                                     ipywidgets 8 views; gzipped because the file is 3.6 MB
#                                     (book/_ext/book_offline.py unpacks it at build time)
#   html-manager/THIRD-PARTY-NOTICES.txt  the licence notices of the libraries it bundles
# and the versions into book/_static/vendor/VERSIONS. The licence files next to them
# (require.js.LICENSE, html-manager/LICENSE) do not change between these releases.
# MathJax is not vendored here: the PyPI package sphinx-mathjax-offline carries it.
set -euo pipefail

REQUIREJS="${REQUIREJS:-2.3.8}"
HTML_MANAGER="${HTML_MANAGER:-1.0.15}"
case "$HTML_MANAGER" in
  1.*) ;;
  *) echo "HTML_MANAGER=$HTML_MANAGER: the book needs the 1.x line (ipywidgets 8)" >&2; exit 1 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/book/_static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "requirejs@$REQUIREJS" "@jupyter-widgets/html-manager@$HTML_MANAGER" >/dev/null
mkdir requirejs html-manager
tar -xzf "requirejs-$REQUIREJS.tgz" -C requirejs
tar -xzf "jupyter-widgets-html-manager-$HTML_MANAGER.tgz" -C html-manager

mkdir -p "$vendor/html-manager"
cp requirejs/package/require.js "$vendor/require.js"
# -n: no name or time stamp in the header, so the same input gives the same bytes.
gzip -9 -n -c html-manager/package/dist/embed-amd.js >"$vendor/html-manager/embed-amd.js.gz"
cp html-manager/package/dist/embed.js.LICENSE.txt "$vendor/html-manager/THIRD-PARTY-NOTICES.txt"
printf 'requirejs %s\n@jupyter-widgets/html-manager %s\n' "$REQUIREJS" "$HTML_MANAGER" \
  >"$vendor/VERSIONS"

# Tracked files above 1 MiB are refused by the repository's checks.
for f in "$vendor/require.js" "$vendor/html-manager/embed-amd.js.gz"; do
  size=$(wc -c <"$f")
  if [ "$size" -gt 1048576 ]; then
    echo "$f is $size bytes, above 1 MiB" >&2
    exit 1
  fi
done
echo "book/_static/vendor: requirejs $REQUIREJS, @jupyter-widgets/html-manager $HTML_MANAGER"
