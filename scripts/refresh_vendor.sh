#!/usr/bin/env bash
# Rebuild, from npm, the front-end code that the book serves itself, with its licences:
#
#   bash scripts/refresh_vendor.sh              # everything
#   bash scripts/refresh_vendor.sh fontawesome  # or one part: fontawesome, tippy
#
# Needs node and npm (and the registry). Each package is packed at a pinned version and
# checked against its pinned integrity; the same inputs give the same bytes.
#
# fontawesome: book/_static/vendor/fontawesome/, the small Font Awesome script and webfonts
# that the book serves in place of the theme's (1.5 MB _static/scripts/fontawesome.js,
# 156 KB fa-solid-900.woff2, ...; see book/_ext/book_icons.py). It needs the project's
# Python too (.venv, or PYTHON=...) with the themes installed, and pip (PyPI): it installs
# the pinned fontTools and brotli into a temporary folder (the build needs neither), and
# writes:
#   fontawesome.js  Font Awesome's SVG core and only the icons listed in ICONS
#                   (built by scripts/fontawesome_subset.mjs);
#   webfonts/       subsets of the package's webfonts/fa-*.woff2 and .ttf with only the glyphs
#                   that the themes' CSS can ask for, and CODEPOINTS, the list of those glyphs
#                   (made by scripts/fontawesome_webfonts.py from the installed themes' CSS);
#   LICENSE.txt     the package's licence (icons CC BY 4.0, fonts SIL OFL 1.1, code MIT);
#   VERSIONS        what the files were made from.
# ICONS, the list of icons, is edited by hand; run this script again after changing it, or
# after updating the themes (the build says when their CSS asks for a glyph not kept).
# To move to another Font Awesome release: set VERSION to the one the theme bundles (the
# banner of .venv/lib/python3*/site-packages/pydata_sphinx_theme/theme/
# pydata_sphinx_theme/static/scripts/fontawesome.js.LICENSE.txt), and INTEGRITY to
# `npm view @fortawesome/fontawesome-free@VERSION dist.integrity`.
#
# tippy: book/_static/vendor/tippy/, what shows the previews of references and citations
# (sphinx-tippy; see book/_ext/book_previews.py):
#   popper.min.js            Popper's UMD build (@popperjs/core, dist/umd/popper.min.js);
#   tippy-bundle.umd.min.js  tippy.js's UMD build with its CSS (tippy.js, dist/);
#   LICENSE-popper.md, LICENSE-tippy.txt  their licences (both MIT);
#   VERSIONS                 what the files were made from.
# To move to other releases: set POPPER_VERSION / TIPPY_VERSION, and their integrities to
# `npm view PACKAGE@VERSION dist.integrity`.
set -euo pipefail

PACKAGE=@fortawesome/fontawesome-free
VERSION=6.5.2
INTEGRITY=sha512-hRILoInAx8GNT5IMkrtIt9blOdrqHOnPBH+k70aWUAqPZPgopb9G5EQJFpaBx/S8zp2fC+mPW349Bziuk1o28Q==

# What makes the webfont subsets (woff2 needs brotli); another version may give other bytes.
FONTTOOLS=4.69.1
BROTLI=1.2.1

POPPER_VERSION=2.11.8
POPPER_INTEGRITY=sha512-P1st0aksCrn9sGZhp8GMYwBnQsbvAWsZAX44oXNNvLHGqAOcoVxmjZiohstwQ7SqKnbR47akdNi+uleWD8+g6A==
TIPPY_VERSION=6.3.7
TIPPY_INTEGRITY=sha512-E1d3oP2emgJ9dRQZdf3Kkn0qJgI6ZLpyS5z6ZkY1DF3kaQaBsGZsndEpHwx+eC+tYM41HaSNvNtLx8tU57FzTQ==

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
PART=${1:-all}
case $PART in
  all | fontawesome | tippy) ;;
  *)
    echo "refresh_vendor.sh: no part named $PART; expected fontawesome or tippy (or none)" >&2
    exit 2
    ;;
esac

for tool in node npm tar; do
  command -v "$tool" >/dev/null || { echo "refresh_vendor.sh: $tool is needed" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# digest sha256|sha512 FILE: hex for sha256, npm's integrity form for sha512.
digest() {
  node -e '
    const [kind, file] = process.argv.slice(1);
    const hash = require("crypto").createHash(kind).update(require("fs").readFileSync(file));
    console.log(kind === "sha256" ? hash.digest("hex") : "sha512-" + hash.digest("base64"));
  ' "$1" "$2"
}

# pack PACKAGE VERSION INTEGRITY NAME: the package's files, checked, in $work/NAME/package.
pack() {
  local package=$1 version=$2 integrity=$3 dir=$work/$4 tarball actual packed
  mkdir -p "$dir"
  tarball=$(cd "$dir" && npm pack --silent --ignore-scripts "$package@$version" | tail -n 1)
  actual=$(digest sha512 "$dir/$tarball")
  if [[ $actual != "$integrity" ]]; then
    echo "refresh_vendor.sh: $tarball has integrity $actual, expected $integrity" >&2
    exit 1
  fi
  tar -xzf "$dir/$tarball" -C "$dir"
  packed=$(node -p 'require(process.argv[1]).version' "$dir/package/package.json")
  if [[ $packed != "$version" ]]; then
    echo "refresh_vendor.sh: packed $package $packed, not $version" >&2
    exit 1
  fi
}

fontawesome() {
  local out=$ROOT/book/_static/vendor/fontawesome
  local icons=$out/ICONS package=$work/fontawesome/package
  [[ -f $icons ]] || { echo "refresh_vendor.sh: no icon list $icons" >&2; exit 1; }
  "$PYTHON" -c 'import pydata_sphinx_theme, sphinx_book_theme' 2>/dev/null || {
    echo "refresh_vendor.sh: $PYTHON is not the project's Python with the themes (set PYTHON)" >&2
    exit 1
  }

  # The theme's Font Awesome, if the theme is installed: the subset should be of the same
  # major version (the pages' markup and the theme's CSS are written for it).
  local theme_banner
  theme_banner=$(cat "$ROOT"/.venv/lib/python3*/site-packages/pydata_sphinx_theme/theme/pydata_sphinx_theme/static/scripts/fontawesome.js.LICENSE.txt 2>/dev/null || true)
  if [[ $theme_banner =~ Font\ Awesome\ Free\ ([0-9]+)\.[0-9.]+ ]]; then
    if [[ ${BASH_REMATCH[1]} != "${VERSION%%.*}" ]]; then
      echo "refresh_vendor.sh: the theme bundles Font Awesome ${BASH_REMATCH[0]#Font Awesome Free }," \
        "this script packs $VERSION: set VERSION to the theme's major version" >&2
      exit 1
    fi
  fi

  pack "$PACKAGE" "$VERSION" "$INTEGRITY" fontawesome
  node "$ROOT/scripts/fontawesome_subset.mjs" "$package" "$icons" "$work/fontawesome.js"

  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --target "$work/python" "fonttools==$FONTTOOLS" "brotli==$BROTLI"
  mkdir "$work/webfonts"
  PYTHONPATH="$work/python" "$PYTHON" "$ROOT/scripts/fontawesome_webfonts.py" \
    "$package" "$work/webfonts" "$work/webfonts.versions"

  mkdir -p "$out"
  cp "$work/fontawesome.js" "$out/fontawesome.js"
  rm -rf "$out/webfonts"
  cp -r "$work/webfonts" "$out/webfonts"
  cp "$package/LICENSE.txt" "$out/LICENSE.txt"
  cat >"$out/VERSIONS" <<EOF
# Made by scripts/refresh_vendor.sh from the npm package below; do not edit by hand.
package: $PACKAGE
version: $VERSION
tarball: https://registry.npmjs.org/$PACKAGE/-/fontawesome-free-$VERSION.tgz
integrity: $INTEGRITY
licence: LICENSE.txt (Font Awesome Free: icons CC BY 4.0, fonts SIL OFL 1.1, code MIT)
fontawesome.js: js/fontawesome.min.js and the icons of ICONS from js/{solid,regular,brands}.min.js
fontawesome.js sha256: $(digest sha256 "$out/fontawesome.js")
EOF
  cat "$work/webfonts.versions" >>"$out/VERSIONS"
  echo "refresh_vendor.sh: wrote $out (fontawesome.js $(wc -c <"$out/fontawesome.js") bytes," \
    "webfonts/*.woff2 $(cat "$out"/webfonts/*.woff2 | wc -c) bytes)"
}

tippy() {
  local out=$ROOT/book/_static/vendor/tippy
  pack @popperjs/core "$POPPER_VERSION" "$POPPER_INTEGRITY" popper
  pack tippy.js "$TIPPY_VERSION" "$TIPPY_INTEGRITY" tippy

  rm -rf "$out"
  mkdir -p "$out"
  cp "$work/popper/package/dist/umd/popper.min.js" "$out/popper.min.js"
  cp "$work/popper/package/LICENSE.md" "$out/LICENSE-popper.md"
  cp "$work/tippy/package/dist/tippy-bundle.umd.min.js" "$out/tippy-bundle.umd.min.js"
  cp "$work/tippy/package/LICENSE" "$out/LICENSE-tippy.txt"
  cat >"$out/VERSIONS" <<EOF
# Made by scripts/refresh_vendor.sh from the npm packages below; do not edit by hand.
package: @popperjs/core
version: $POPPER_VERSION
tarball: https://registry.npmjs.org/@popperjs/core/-/core-$POPPER_VERSION.tgz
integrity: $POPPER_INTEGRITY
licence: LICENSE-popper.md (MIT)
popper.min.js: dist/umd/popper.min.js
popper.min.js sha256: $(digest sha256 "$out/popper.min.js")

package: tippy.js
version: $TIPPY_VERSION
tarball: https://registry.npmjs.org/tippy.js/-/tippy.js-$TIPPY_VERSION.tgz
integrity: $TIPPY_INTEGRITY
licence: LICENSE-tippy.txt (MIT)
tippy-bundle.umd.min.js: dist/tippy-bundle.umd.min.js
tippy-bundle.umd.min.js sha256: $(digest sha256 "$out/tippy-bundle.umd.min.js")
EOF
  echo "refresh_vendor.sh: wrote $out (popper.min.js $(wc -c <"$out/popper.min.js") bytes," \
    "tippy-bundle.umd.min.js $(wc -c <"$out/tippy-bundle.umd.min.js") bytes)"
}

if [[ $PART == all || $PART == fontawesome ]]; then fontawesome; fi
if [[ $PART == all || $PART == tippy ]]; then tippy; fi
