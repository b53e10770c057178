// Build a small Font Awesome script: FA's SVG core and only the icons the book uses.
//
//   node scripts/fontawesome_subset.mjs PACKAGE_DIR ICONS OUTPUT
//
// PACKAGE_DIR is an unpacked @fortawesome/fontawesome-free (its js/ folder), ICONS the list
// of icons (one "STYLE NAME" a line, STYLE solid, regular or brands; # starts a comment),
// OUTPUT the script to write. Run by scripts/refresh_vendor.sh.
//
// The output is Font Awesome's own code, unchanged but for the icon tables:
//   - for each style with icons in the list, FA's icon pack js/STYLE.min.js with its table
//     of icons cut down to the listed ones (the pack's wrapper code, which registers the
//     icons under fas/fa-solid, far/fa-regular or fab/fa-brands, is kept as it is);
//   - then FA's SVG core js/fontawesome.min.js, which replaces every <i class="fa-...">
//     with an inline <svg> (and keeps doing so for elements added later).
// This is the order of FA's js/all.js (packs, then core), which the theme serves whole.
//
// The table of each minified pack is checked against the readable pack js/STYLE.js (same
// icons, same data), and the output is run once in a bare context to check that every
// listed icon resolves. The output depends only on its inputs: same inputs, same bytes.

import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";

const STYLES = { brands: "fab", regular: "far", solid: "fas" }; // in the order of js/all.js

function fail(message) {
  console.error(`fontawesome_subset: ${message}`);
  process.exit(1);
}

function readIcons(file) {
  const wanted = {};
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((raw, index) => {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) return;
      const parts = line.split(/\s+/);
      if (parts.length !== 2 || !(parts[0] in STYLES) || !/^[a-z0-9-]+$/.test(parts[1])) {
        fail(`${file}:${index + 1}: expected "STYLE NAME" (STYLE solid, regular or brands): ${raw}`);
      }
      (wanted[parts[0]] ||= new Set()).add(parts[1]);
    });
  return wanted;
}

// The object literal that starts at text[start] ("{"), up to its closing brace: returns the
// index after that brace. The tables hold numbers, names and SVG paths: no quote or brace
// inside a string.
function literalEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = text.indexOf('"', i + 1);
      if (i < 0) break;
    } else if (c === "{" || c === "[") {
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  fail(`unbalanced icon table at offset ${start}`);
}

function evaluate(literal) {
  return vm.runInNewContext(`(${literal})`, Object.create(null));
}

// The table of the readable pack: "  var icons = {" ... "  };".
function readableTable(source, file) {
  const start = source.indexOf("var icons = {");
  if (start < 0) fail(`${file}: no "var icons = {"`);
  const open = source.indexOf("{", start);
  return evaluate(source.slice(open, literalEnd(source, open)));
}

// The table of the minified pack: the first "={KEY:[W,H,[" (KEY quoted or not).
function minifiedTable(source, file) {
  const match = /=\{(?:"[0-9a-z-]+"|[0-9A-Za-z_$]+):\[\d+,\d+,\[/.exec(source);
  if (!match) fail(`${file}: no icon table found`);
  const open = match.index + 1;
  const close = literalEnd(source, open);
  return { open, close, table: evaluate(source.slice(open, close)) };
}

function sameTables(a, b) {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

// The banner comment "/*! ... */" at the top of every FA file.
function splitBanner(source, file) {
  const match = /^\/\*![\s\S]*?\*\/\n?/.exec(source);
  if (!match) fail(`${file}: no /*! banner */ at the top`);
  return [match[0].trimEnd(), source.slice(match[0].length).trim()];
}

function subsetPack(js, style, names) {
  const minFile = path.join(js, `${style}.min.js`);
  const fullFile = path.join(js, `${style}.js`);
  const [banner, code] = splitBanner(fs.readFileSync(minFile, "utf8"), minFile);
  const { open, close, table } = minifiedTable(code, minFile);
  if (!sameTables(table, readableTable(fs.readFileSync(fullFile, "utf8"), fullFile))) {
    fail(`${minFile}: its icon table differs from that of ${fullFile}`);
  }
  // Every name of an icon: its key and its aliases (strings among data[2]; numbers there
  // are extra code points).
  const byName = new Map();
  for (const [key, data] of Object.entries(table)) {
    byName.set(key, key);
    for (const alias of data[2]) if (typeof alias === "string" && !byName.has(alias)) byName.set(alias, key);
  }
  const keys = new Set();
  for (const name of names) {
    if (!byName.has(name)) fail(`no ${style} icon named "${name}" in Font Awesome`);
    keys.add(byName.get(name));
  }
  const sorted = [...keys].sort();
  const entries = sorted.map((key) => `${JSON.stringify(key)}:${JSON.stringify(table[key])}`);
  return { banner, code: `${code.slice(0, open)}{${entries.join(",")}}${code.slice(close)}`, keys: sorted };
}

// Run the output in a bare context (a window with an empty document: no DOM to change) and
// look every listed icon up through FA's API.
function selfCheck(output, wanted) {
  const context = { navigator: { userAgent: "" }, document: {}, console };
  context.window = context;
  vm.createContext(context);
  vm.runInContext(output, context);
  const api = context.FontAwesome;
  if (!api || typeof api.findIconDefinition !== "function") fail("the output defines no FontAwesome API");
  for (const [style, names] of Object.entries(wanted)) {
    for (const name of names) {
      const found = api.findIconDefinition({ prefix: STYLES[style], iconName: name });
      if (!found || !found.icon || !found.icon[4]) fail(`the output does not resolve ${style} ${name}`);
    }
  }
}

function main() {
  const [packageDir, iconsFile, outputFile] = process.argv.slice(2);
  if (!outputFile) fail("usage: node fontawesome_subset.mjs PACKAGE_DIR ICONS OUTPUT");
  const js = path.join(packageDir, "js");
  const version = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")).version;
  const wanted = readIcons(iconsFile);

  const coreFile = path.join(js, "fontawesome.min.js");
  const [banner, core] = splitBanner(fs.readFileSync(coreFile, "utf8"), coreFile);
  const packs = [];
  const summary = [];
  for (const style of Object.keys(STYLES)) {
    if (!wanted[style]) continue;
    const pack = subsetPack(js, style, wanted[style]);
    if (pack.banner !== banner) fail(`${style}.min.js and fontawesome.min.js have different banners`);
    packs.push(pack.code);
    summary.push(`${style} (${pack.keys.length}): ${pack.keys.join(" ")}`);
  }
  const output = [
    banner,
    `/* Font Awesome Free ${version}, js/fontawesome.min.js (the SVG core) with the icon packs`,
    ` * cut down to the icons of book/_static/vendor/fontawesome/ICONS (scripts/refresh_vendor.sh):`,
    ...summary.map((line) => ` * ${line}`),
    " */",
    ...packs,
    core,
    "",
  ].join("\n");
  selfCheck(output, wanted);
  fs.writeFileSync(outputFile, output);
  console.log(`${outputFile}: ${Buffer.byteLength(output)} bytes; ${summary.join("; ")}`);
}

main();
