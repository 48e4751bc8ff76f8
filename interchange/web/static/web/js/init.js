// Starts the GOV.UK and MOJ Frontend components present on the page.
(function () {
  "use strict";
  if (window.GOVUKFrontend && window.GOVUKFrontend.isSupported()) {
    window.GOVUKFrontend.initAll();
  }
  if (window.MOJFrontend && window.MOJFrontend.initAll) {
    window.MOJFrontend.initAll();
  }
})();
