/**
 * Demo only: a stand-in for the App Bridge script (which would load from Shopify's CDN and only
 * works inside the Shopify admin). Like App Bridge, it gives the embedded app `shopify.idToken()`
 * and adds `Authorization: Bearer <session token>` to the app's own fetches, so Remix data
 * requests go through the real `authenticate.admin`. Tokens are minted by /app/demo-token.
 */
export const DEMO_APP_BRIDGE_JS = `(function () {
  if (window.shopify && window.shopify.idToken) return;
  var params = new URLSearchParams(location.search);
  var token = params.get('id_token');
  var expires = token ? Date.now() + 45000 : 0;
  var nativeFetch = window.fetch.bind(window);
  function idToken() {
    if (token && Date.now() < expires) return Promise.resolve(token);
    return nativeFetch('/app/demo-token', { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (j) { token = j.token; expires = Date.now() + 45000; return token; });
  }
  window.shopify = { idToken: idToken, config: { apiKey: (document.currentScript && document.currentScript.dataset.apiKey) || '' } };
  window.fetch = function (input, init) {
    var url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url, location.href);
    if (url.origin !== location.origin || url.pathname.indexOf('/app') !== 0 || url.pathname === '/app/demo-token') return nativeFetch(input, init);
    return idToken().then(function (t) {
      var headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
      headers.set('Authorization', 'Bearer ' + t);
      return nativeFetch(input, Object.assign({}, init, { headers: headers }));
    });
  };
})();`;
