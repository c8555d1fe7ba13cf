/* The header's menu button (layouts/shell.py nav_toggle), shown where the links do not fit on
 * one line (assets/phone.css): it opens and closes the navigation in the browser, no server
 * round trip. Its state is its own aria-expanded, which the stylesheet reads
 * (.topbar:has(.nav-toggle[aria-expanded="true"]) .nav). A choice, a click elsewhere or Escape
 * closes the menu: pages change without a reload, so it would otherwise stay open over the new page.
 */
(function () {
  "use strict";
  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  function openButton() {
    return document.querySelector('.nav-toggle[aria-expanded="true"]');
  }
  document.addEventListener("click", function (e) {
    var target = e.target;
    var button = target.closest ? target.closest(".nav-toggle") : null;
    if (button) {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
      return;
    }
    var open = openButton();
    if (!open || !target.closest) { return; }
    // a page chosen, or a click outside the navigation (a group's title only opens its group)
    if (target.closest(".nav a") || !target.closest(".nav")) { setOpen(open, false); }
  });
  document.addEventListener("keydown", function (e) {
    var open = openButton();
    if (e.key === "Escape" && open) {
      setOpen(open, false);
      open.focus();
    }
  });
})();
