// Prefills the sign-up timezone with the browser's; without JavaScript the field keeps UTC.
(function () {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  document.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
    if (input.value === "UTC") input.value = zone;
  });
})();
