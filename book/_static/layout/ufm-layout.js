/* The book's page layout at any width, and two fixes of the theme's dropdowns.
 *
 * 1. A box of the article that is wider than the column (a long formula, a code line, a
 *    table) scrolls sideways inside the page, and says so: it gets a visible hint
 *    ("Scroll sideways ...") just before it, a keyboard focus (tabindex) and a label for
 *    screen readers. The marks follow the width of the window, the math as MathJax typesets
 *    it, and dropdowns as they open. A formula a little too wide is set a little smaller; a
 *    formula in the text much wider than the column becomes a block of its own. On a wide
 *    screen, a code line longer than the column wraps instead (the book's own code keeps
 *    its lines within 88 characters; the rule catches the rest). tests/test_layout.py
 *    checks the result at 1280 and 390 px.
 * 2. A click anywhere on the title of a solution or dropdown (its link to the exercise, its
 *    math) opens or closes it: sphinx-togglebutton handles only clicks on the bare title or
 *    its button, and a click on a link or a formula in the title raised "button is not
 *    defined" and followed the link. A click with a modifier key still follows the link.
 * 3. Search results: the snippet under each hit is cut from the page's text as Sphinx
 *    fetches it, before MathJax, so it showed raw TeX (\ones_C^\top, \Fnorm{H}) and the
 *    code of hidden cells. The snippet is now cut from the text without them: a formula
 *    reads "…", hidden code is left out.
 */
(() => {
  "use strict";
  const ARTICLE = "main article, .bd-article";
  const HINT = "ufm-scroll-hint";

  const scrolls = (style) => style.overflowX === "auto" || style.overflowX === "scroll";

  function kind(box) {
    if (box.matches("pre")) return "code";
    if (box.querySelector("table") || box.matches("table")) return "table";
    if (box.matches(".math, mjx-container")) return "formula";
    return "content";
  }

  function hintFor(box) {
    const previous = box.previousElementSibling;
    if (previous && previous.classList.contains(HINT)) return previous;
    const hint = document.createElement("div");
    hint.className = HINT;
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = `Scroll sideways to see the whole ${kind(box)} \u21c6`;
    box.before(hint);
    return hint;
  }

  function unmark(box) {
    const previous = box.previousElementSibling;
    if (previous && previous.classList.contains(HINT)) previous.remove();
    box.removeAttribute("data-ufm-scroll");
    if (box.dataset.ufmTabindex === "added") {
      box.removeAttribute("tabindex");
      delete box.dataset.ufmTabindex;
    }
    if (box.dataset.ufmLabel === "added") {
      box.removeAttribute("aria-label");
      box.removeAttribute("role");
      delete box.dataset.ufmLabel;
    }
  }

  function mark(box) {
    hintFor(box);
    box.setAttribute("data-ufm-scroll", "");
    if (!box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.ufmTabindex = "added";
    }
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("role")) {
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", `${kind(box)}, scrolls sideways`);
      box.dataset.ufmLabel = "added";
    }
  }

  /* A formula at most SHRINK too wide for its box is set a little smaller; an inline
     formula wider still becomes a block of its own, which then scrolls. Every step reads
     the whole page, then writes: one layout per step, however many formulas. */
  const SHRINK = 0.85;
  function fitMath(article) {
    const formulas = Array.from(article.querySelectorAll("mjx-container"));
    for (const math of formulas) {
      if (math.dataset.ufmScale) {
        math.style.fontSize = "";
        delete math.dataset.ufmScale;
      }
    }
    article.querySelectorAll("span.ufm-wide-math").forEach((box) => {
      box.classList.remove("ufm-wide-math");
    });
    const changes = [];
    for (const math of formulas) {
      const box = math.closest("span.math, div.math") || math.parentElement;
      if (!box) continue;
      const inline = box.matches("span.math");
      const room = inline ? (box.parentElement || box).clientWidth : box.clientWidth;
      const drawn = math.querySelector(":scope > mjx-math") || math;
      const width = drawn.getBoundingClientRect().width;
      if (room > 0 && width > room) changes.push([math, box, inline, room / width]);
    }
    for (const [math, box, inline, ratio] of changes) {
      const scale = Math.floor(100 * ratio) / 100;
      if (scale >= SHRINK) {
        math.style.fontSize = `${100 * scale}%`;
        math.dataset.ufmScale = String(scale);
      } else if (inline) {
        box.classList.add("ufm-wide-math");
      }
    }
  }

  /* On a wide screen a code line longer than the column wraps; on a narrow one, the code
     scrolls sideways (wrapped at forty characters, Python reads badly). */
  const WIDE = 768;
  function fitCode(article) {
    const blocks = Array.from(article.querySelectorAll("pre"));
    blocks.forEach((pre) => pre.classList.remove("ufm-wrap"));
    if (document.documentElement.clientWidth < WIDE) return;
    blocks
      .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
      .forEach((pre) => pre.classList.add("ufm-wrap"));
  }

  function markScrolling(article) {
    const boxes = [];
    for (const box of article.querySelectorAll("*")) {
      if (box.classList.contains(HINT) || box.closest("mjx-assistive-mml")) continue;
      const over = box.clientWidth > 2 && box.scrollWidth > box.clientWidth + 1;
      if (over || box.hasAttribute("data-ufm-scroll")) boxes.push([box, over]);
    }
    const marks = boxes.map(([box, over]) => [
      box,
      over && scrolls(getComputedStyle(box)) && box.getClientRects().length > 0,
    ]);
    for (const [box, scrolling] of marks) {
      if (scrolling) mark(box);
      else unmark(box);
    }
  }

  function update() {
    for (const article of document.querySelectorAll(ARTICLE)) {
      fitMath(article);
      fitCode(article);
      markScrolling(article);
    }
  }

  let pending = 0;
  function schedule() {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => requestAnimationFrame(update));
  }

  /* Solutions and dropdowns: the whole title toggles. */
  function onTitleClick(event) {
    const title = event.target.closest(".admonition.toggle > .admonition-title");
    if (!title || event.target.closest(".toggle-button")) return;
    if (event.target === title) return;
    event.stopPropagation();
    const link = event.target.closest("a[href]");
    if (link && (event.ctrlKey || event.metaKey || event.shiftKey)) return;
    event.preventDefault();
    const button = title.querySelector(".toggle-button");
    if (button) button.click();
  }

  /* Search snippets without TeX or hidden code. searchtools.js declares `const Search` at
   * the top level of its script: a global binding, but not a property of window. */
  const HIDDEN_CODE = [".tag_hide-input .cell_input", ".tag_remove-input .cell_input",
    ".tag_hide-cell", ".tag_remove-cell", ".tag_remove-output .cell_output"].join(", ");
  function readableSnippets() {
    // eslint-disable-next-line no-undef
    const search = typeof Search === "undefined" ? undefined : Search;
    if (!search || typeof search.htmlToText !== "function" || search.ufmReadable) return;
    const htmlToText = search.htmlToText;
    search.htmlToText = (htmlString, anchor) => {
      const page = new DOMParser().parseFromString(htmlString, "text/html");
      page.querySelectorAll(HIDDEN_CODE).forEach((el) => el.remove());
      page.querySelectorAll(".math").forEach((el) => el.replaceWith("…"));
      return htmlToText(page.documentElement.outerHTML, anchor);
    };
    search.ufmReadable = true;
  }
  readableSnippets();

  document.addEventListener("click", onTitleClick, true);
  document.addEventListener("click", schedule);
  document.addEventListener("toggle", schedule, true);
  window.addEventListener("resize", schedule);
  window.addEventListener("load", () => {
    schedule();
    const mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise.then(schedule);
    }
  });
  document.addEventListener("DOMContentLoaded", () => {
    readableSnippets();
    schedule();
    if (window.ResizeObserver) {
      const observer = new ResizeObserver(schedule);
      document.querySelectorAll(ARTICLE).forEach((article) => observer.observe(article));
    }
  });
})();
