// Settings: offer the browser's time zone. The form works without this.
(function () {
  var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var input = document.getElementById("tz");
  var button = document.getElementById("use-browser-tz");
  if (!tz || !input || !button || input.value === tz) return;
  button.textContent = "Use " + tz;
  button.hidden = false;
  button.addEventListener("click", function () { input.value = tz; input.focus(); });
})();
