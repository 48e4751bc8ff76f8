// Starts the GOV.UK and MOJ Frontend components in content htmx has just swapped in (a
// filtered, sorted or paged queue), and moves focus to its heading so the change is heard.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var scope = event.detail && event.detail.elt;
    if (!scope || !(scope instanceof HTMLElement)) {
      return;
    }
    var swapped = document.getElementById(scope.id) || scope;
    if (window.GOVUKFrontend && window.GOVUKFrontend.isSupported()) {
      window.GOVUKFrontend.initAll({ scope: swapped });
    }
    if (window.MOJFrontend && window.MOJFrontend.initAll) {
      window.MOJFrontend.initAll({ scope: swapped });
    }
    var count = document.getElementById("queue-count");
    if (count) {
      count.setAttribute("tabindex", "-1");
      count.focus();
    }
  });
})();
