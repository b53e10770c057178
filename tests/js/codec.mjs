// JSON for the tests' node harnesses (tests/js/*_check.mjs): what Python's json module reads.
//
// encode(x) writes typed arrays as lists, NaN, Infinity and -Infinity as Python's json reads
// them, leaves out undefined and functions; readCalls() parses the JSON list on stdin.
import { readFileSync } from "node:fs";

export function number(x) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return JSON.stringify(x);
}

export function encode(x, special = () => undefined) {
  const own = special(x);
  if (own !== undefined) return own;
  if (x === null || x === undefined) return "null";
  if (typeof x === "number") return number(x);
  if (typeof x === "bigint") return x.toString();
  if (typeof x === "boolean" || typeof x === "string") return JSON.stringify(x);
  if (ArrayBuffer.isView(x)) return `[${Array.from(x, number).join(",")}]`;
  if (Array.isArray(x)) return `[${x.map((v) => encode(v, special)).join(",")}]`;
  const entries = Object.entries(x)
    .filter(([, v]) => v !== undefined && typeof v !== "function")
    .map(([k, v]) => `${JSON.stringify(k)}:${encode(v, special)}`);
  return `{${entries.join(",")}}`;
}

export function readCalls() {
  return JSON.parse(readFileSync(0, "utf8"));
}
