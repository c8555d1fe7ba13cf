/* The header's navigation groups (<details> menus of the systems declared by spec files): a
 * choice, a click elsewhere or Escape closes the open menu; pages change without a reload, so
 * the browser would otherwise leave it open over the new page. */
(function () {
  "use strict";
  function closeAll(except) {
    document.querySelectorAll("details.nav-group[open]").forEach(function (d) {
      if (d !== except) { d.open = false; }
    });
  }
  document.addEventListener("click", function (e) {
    var group = e.target.closest ? e.target.closest("details.nav-group") : null;
    if (group && e.target.closest(".nav-menu a")) { group.open = false; return; }
    closeAll(group);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { closeAll(null); }
  });
})();
