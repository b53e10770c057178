/*
 * The controls of an animation made by ufm.animation.player: Play/Pause, First, Back,
 * Next, Last and a slider over the frames. The page inlines this file into the
 * animation's script element and calls ufmPlayer once; nothing is loaded from the network.
 *
 * root     - the element div.ufm-player holding the image and the controls;
 * frames   - the frames as data URIs; the one shown first is null (the image holds it);
 * captions - one line of text per frame;
 * current  - the index of the frame shown first;
 * interval - milliseconds between frames when playing.
 */
function ufmPlayer(root, frames, captions, current, interval) {
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var image = root.querySelector(".ufm-player-frame");
  var slider = root.querySelector(".ufm-player-slider");
  var caption = root.querySelector(".ufm-player-caption");
  var play = root.querySelector("[data-action=play]");
  var timer = null, last = frames.length - 1;
  frames[current] = image.getAttribute("src");

  function show(i) {
    current = Math.max(0, Math.min(last, i));
    image.src = frames[current];
    slider.value = current;
    caption.textContent = captions[current];
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "Play";
    play.setAttribute("aria-pressed", "false");
  }

  function start() {
    if (current >= last) { show(0); }
    timer = setInterval(function () {
      if (current >= last) { stop(); } else { show(current + 1); }
    }, interval);
    play.textContent = "Pause";
    play.setAttribute("aria-pressed", "true");
  }

  root.addEventListener("click", function (event) {
    var action = event.target.getAttribute("data-action");
    if (action === "play") { if (timer === null) { start(); } else { stop(); } return; }
    if (!action) { return; }
    stop();
    if (action === "first") { show(0); }
    else if (action === "back") { show(current - 1); }
    else if (action === "next") { show(current + 1); }
    else if (action === "last") { show(last); }
  });
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
}
