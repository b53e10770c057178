/*
 * The radio buttons of a view made by ufm.animation.switchable: choosing one shows its
 * view and hides the others. The page inlines this file into the view's script element and
 * calls ufmSwitch once; nothing is loaded from the network.
 *
 * root - the element div.ufm-switch holding the fieldset of radio buttons and
 *        one div.ufm-switch-view (attribute data-index = i) per view.
 */
function ufmSwitch(root) {
  if (!root || root.getAttribute("data-ready")) { return; }
  root.setAttribute("data-ready", "1");
  var panels = root.querySelectorAll(":scope > .ufm-switch-view");
  root.querySelector("fieldset").addEventListener("change", function (event) {
    for (var i = 0; i < panels.length; i++) {
      panels[i].hidden = panels[i].getAttribute("data-index") !== event.target.value;
    }
  });
}
