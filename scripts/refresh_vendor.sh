#!/usr/bin/env bash
# Rebuild book/_static/vendor/fontawesome/ from npm: the small Font Awesome script and
# webfonts that the book serves in place of the theme's (1.5 MB _static/scripts/fontawesome.js,
# 156 KB fa-solid-900.woff2, ...; see book/_ext/book_icons.py).
#
#   bash scripts/refresh_vendor.sh
#
# Needs node and npm (and the registry), and the project's Python (.venv, or PYTHON=...) with
# the themes installed, and pip (PyPI). It packs the pinned @fortawesome/fontawesome-free,
# checks the tarball against the pinned integrity, installs the pinned fontTools and brotli
# into a temporary folder (the build needs neither), and writes, into
# book/_static/vendor/fontawesome/:
#   fontawesome.js  Font Awesome's SVG core and only the icons listed in ICONS
#                   (built by scripts/fontawesome_subset.mjs);
#   webfonts/       subsets of the package's webfonts/fa-*.woff2 and .ttf with only the glyphs
#                   that the themes' CSS can ask for, and CODEPOINTS, the list of those glyphs
#                   (made by scripts/fontawesome_webfonts.py from the installed themes' CSS);
#   LICENSE.txt     the package's licence (icons CC BY 4.0, fonts SIL OFL 1.1, code MIT);
#   VERSIONS        what the files were made from.
# ICONS, the list of icons, is edited by hand; run this script again after changing it, or
# after updating the themes (the build says when their CSS asks for a glyph not kept).
# The same inputs give the same bytes.
#
# To move to another Font Awesome release: set VERSION to the one the theme bundles (the
# banner of .venv/lib/python3*/site-packages/pydata_sphinx_theme/theme/
# pydata_sphinx_theme/static/scripts/fontawesome.js.LICENSE.txt), and INTEGRITY to
# `npm view @fortawesome/fontawesome-free@VERSION dist.integrity`.
set -euo pipefail

PACKAGE=@fortawesome/fontawesome-free
VERSION=6.5.2
INTEGRITY=sha512-hRILoInAx8GNT5IMkrtIt9blOdrqHOnPBH+k70aWUAqPZPgopb9G5EQJFpaBx/S8zp2fC+mPW349Bziuk1o28Q==

# What makes the webfont subsets (woff2 needs brotli); another version may give other bytes.
FONTTOOLS=4.69.1
BROTLI=1.2.1

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/book/_static/vendor/fontawesome
ICONS=$OUT/ICONS
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}

for tool in node npm tar; do
  command -v "$tool" >/dev/null || { echo "refresh_vendor.sh: $tool is needed" >&2; exit 1; }
done
[[ -f $ICONS ]] || { echo "refresh_vendor.sh: no icon list $ICONS" >&2; exit 1; }
"$PYTHON" -c 'import pydata_sphinx_theme, sphinx_book_theme' 2>/dev/null || {
  echo "refresh_vendor.sh: $PYTHON is not the project's Python with the themes (set PYTHON)" >&2
  exit 1
}

# The theme's Font Awesome, if the theme is installed: the subset should be of the same
# major version (the pages' markup and the theme's CSS are written for it).
theme_banner=$(cat "$ROOT"/.venv/lib/python3*/site-packages/pydata_sphinx_theme/theme/pydata_sphinx_theme/static/scripts/fontawesome.js.LICENSE.txt 2>/dev/null || true)
if [[ $theme_banner =~ Font\ Awesome\ Free\ ([0-9]+)\.[0-9.]+ ]]; then
  if [[ ${BASH_REMATCH[1]} != "${VERSION%%.*}" ]]; then
    echo "refresh_vendor.sh: the theme bundles Font Awesome ${BASH_REMATCH[0]#Font Awesome Free }," \
      "this script packs $VERSION: set VERSION to the theme's major version" >&2
    exit 1
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(cd "$work" && npm pack --silent --ignore-scripts "$PACKAGE@$VERSION" | tail -n 1)
actual=$(node -e '
  const data = require("fs").readFileSync(process.argv[1]);
  console.log("sha512-" + require("crypto").createHash("sha512").update(data).digest("base64"));
' "$work/$tarball")
if [[ $actual != "$INTEGRITY" ]]; then
  echo "refresh_vendor.sh: $tarball has integrity $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$work/$tarball" -C "$work"
packed=$(node -p 'require(process.argv[1]).version' "$work/package/package.json")
[[ $packed == "$VERSION" ]] || { echo "refresh_vendor.sh: packed $packed, not $VERSION" >&2; exit 1; }

node "$ROOT/scripts/fontawesome_subset.mjs" "$work/package" "$ICONS" "$work/fontawesome.js"

"$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --target "$work/python" "fonttools==$FONTTOOLS" "brotli==$BROTLI"
mkdir "$work/webfonts"
PYTHONPATH="$work/python" "$PYTHON" "$ROOT/scripts/fontawesome_webfonts.py" \
  "$work/package" "$work/webfonts" "$work/webfonts.versions"

mkdir -p "$OUT"
cp "$work/fontawesome.js" "$OUT/fontawesome.js"
rm -rf "$OUT/webfonts"
cp -r "$work/webfonts" "$OUT/webfonts"
cp "$work/package/LICENSE.txt" "$OUT/LICENSE.txt"
sha256=$(node -e '
  const data = require("fs").readFileSync(process.argv[1]);
  console.log(require("crypto").createHash("sha256").update(data).digest("hex"));
' "$OUT/fontawesome.js")
cat >"$OUT/VERSIONS" <<EOF
# Made by scripts/refresh_vendor.sh from the npm package below; do not edit by hand.
package: $PACKAGE
version: $VERSION
tarball: https://registry.npmjs.org/$PACKAGE/-/fontawesome-free-$VERSION.tgz
integrity: $INTEGRITY
licence: LICENSE.txt (Font Awesome Free: icons CC BY 4.0, fonts SIL OFL 1.1, code MIT)
fontawesome.js: js/fontawesome.min.js and the icons of ICONS from js/{solid,regular,brands}.min.js
fontawesome.js sha256: $sha256
EOF
cat "$work/webfonts.versions" >>"$OUT/VERSIONS"
echo "refresh_vendor.sh: wrote $OUT (fontawesome.js $(wc -c <"$OUT/fontawesome.js") bytes," \
  "webfonts/*.woff2 $(cat "$OUT"/webfonts/*.woff2 | wc -c) bytes)"
