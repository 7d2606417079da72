// The signed-in user's name in the layout. Pages are stored once for every
// client, so no name is in them: it comes from /whoami (private, never
// stored), asked only when the signed_in hint cookie says someone signed in.
(function () {
  "use strict";
  var link = document.getElementById("whoami");
  if (!link || document.cookie.split("; ").indexOf("signed_in=1") === -1) {
    return;
  }
  fetch(link.getAttribute("data-url"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (me) {
      if (me && me.name) {
        link.textContent = me.name;
        link.href = me.account_url;
      }
    })
    .catch(function () {});
})();
