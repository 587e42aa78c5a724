// A login URL carries its one-time token in the fragment (/login#token=...),
// which browsers never send to servers or put in Referer headers. Move it
// into the form, drop it from the address bar and history, and log in.
'use strict';

(function () {
  function loginFromHash() {
    const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!match) return;
    let token;
    try {
      token = decodeURIComponent(match[1]);
    } catch (err) {
      token = match[1];
    }
    history.replaceState(null, '', location.pathname + location.search);
    if (!token) return;
    const form = document.getElementById('login');
    form.elements.token.value = token;
    form.submit();
  }

  loginFromHash();
  // A login URL opened over this page (after a refused token) only changes the hash.
  window.addEventListener('hashchange', loginFromHash);
})();
