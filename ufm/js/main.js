// The entry point of the static pages' explorers: ufm.webview.bundle() turns it and every
// module it imports into _static/ufm-explorers.js. Importing a chapter's explorer module
// registers its explorers; once the page is parsed, every [data-ufm-explorer] element with a
// registered twin is mounted (runtime.js), and the others keep their image and summary.
import { mountAll } from "./runtime.js";
import {} from "./explorers/model.js";
import {} from "./explorers/results.js";
import {} from "./explorers/limits.js";
import {} from "./explorers/literature.js";

function start() {
  mountAll(document);
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
