// ipywidgets 8 typesets the text of widgets with MathJax 2's API,
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, which has
// no Hub, so every widget label would throw "Cannot read properties of undefined (reading
// 'Queue')". This forwards such calls to MathJax 3. It is loaded deferred, after MathJax and
// before the widget manager (book/_ext/book_offline.py).
(function () {
  "use strict";
  var mathjax = window.MathJax;
  if (!mathjax || mathjax.Hub || !mathjax.startup) {
    return;
  }
  mathjax.Hub = {
    Queue: function () {
      Array.prototype.forEach.call(arguments, function (job) {
        if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
          mathjax.startup.promise = mathjax.startup.promise.then(function () {
            return mathjax.typesetPromise([job[2]]);
          });
        }
      });
    },
  };
})();
