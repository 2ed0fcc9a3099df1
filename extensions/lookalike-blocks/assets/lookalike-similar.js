/* Lookalike — "Similar products" block. No framework, progressive enhancement. */
(function () {
  'use strict';
  if (window.__lookalikeSimilar) return;
  window.__lookalikeSimilar = true;

  var WIDTHS = [180, 270, 360, 540, 720];

  function isShopifyCdn(url) {
    try {
      var u = new URL(url, location.href);
      return u.hostname === 'cdn.shopify.com' || u.pathname.indexOf('/cdn/shop/') === 0;
    } catch (e) {
      return false;
    }
  }

  function sized(url, w) {
    var u = new URL(url, location.href);
    u.searchParams.set('width', String(w));
    return u.toString();
  }

  function beacon(proxy, payload) {
    try {
      var body = JSON.stringify(payload);
      if (navigator.sendBeacon) navigator.sendBeacon(proxy + '/events', body);
    } catch (e) { /* never block the page for analytics */ }
  }

  // The shopper's market (price, title, URL): assets/lookalike-market.js, loaded before this script. Without it
  // the cards keep the proxy's title and link and show no price (never one in another market's currency).
  var market = window.LookalikeMarket || {
    marketOf: function () { return {}; },
    marketData: function (m, products, done) { done(null); },
    hydrate: function () {}
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function card(p, opts) {
    var li = el('li', 'lookalike__card');
    var a = el('a', 'lookalike__link');
    a.href = p.url || '/products/' + encodeURIComponent(p.handle || '');
    a.addEventListener('click', function () {
      beacon(opts.proxy, { type: 'click', productId: String(p.id), sourceProductId: opts.source });
    });
    var media = el('span', 'lookalike__media');
    if (p.image) {
      var img = el('img', 'lookalike__img');
      img.alt = '';
      img.loading = 'lazy';
      img.decoding = 'async';
      img.width = 600;
      img.height = opts.ratio === 'portrait' ? 750 : 600;
      if (isShopifyCdn(p.image)) {
        img.src = sized(p.image, 540);
        img.srcset = WIDTHS.map(function (w) { return sized(p.image, w) + ' ' + w + 'w'; }).join(', ');
        img.sizes = opts.sizes;
      } else {
        img.src = p.image;
      }
      media.appendChild(img);
    } else {
      media.classList.add('lookalike__media--empty');
    }
    a.appendChild(media);
    a.appendChild(el('span', 'lookalike__title', p.title || ''));
    // The price slot is there (one line high) before the market's price arrives: no layout shift.
    if (opts.showPrice) a.appendChild(el('span', 'lookalike__price', '\u00a0'));
    li.appendChild(a);
    return li;
  }

  function hide(root) {
    root.hidden = true;
    root.setAttribute('aria-busy', 'false');
  }

  function init(root) {
    if (root.__lookalike) return;
    root.__lookalike = true;
    var d = root.dataset;
    var proxy = (d.proxyPath || '').replace(/\/$/, '');
    var productId = d.productId;
    // No number in the theme editor: the shop's "Number of results" (the proxy's default) applies.
    var set = parseInt(d.limit, 10);
    var limit = set > 0 ? Math.min(50, set) : 0;
    // "Also in other colours": a second row from the same answer (0: off).
    var colours = Math.min(12, parseInt(d.colours, 10) || 0);
    var row = colours > 0 ? root.querySelector('[data-lookalike-colours]') : null;
    var grid = root.querySelector('[data-lookalike-grid]');
    var strings = { viewProduct: '{title}' };
    try {
      var s = root.querySelector('[data-lookalike-strings]');
      if (s) strings = JSON.parse(s.textContent);
    } catch (e) { /* keep defaults */ }
    if (!proxy || !productId || !grid) return hide(root);

    var cols = parseInt(getComputedStyle(root).getPropertyValue('--lookalike-columns'), 10) || 4;
    var opts = {
      proxy: proxy,
      source: String(productId),
      strings: strings,
      showPrice: d.showPrice !== 'false',
      market: market.marketOf(d),
      locale: d.locale || document.documentElement.lang || undefined,
      ratio: (root.className.match(/lookalike--ratio-(\w+)/) || [])[1],
      sizes: '(min-width: 990px) ' + Math.round(100 / cols) + 'vw, (min-width: 750px) ' + Math.round(100 / Math.min(cols, 3)) + 'vw, 45vw'
    };

    var ctrl = 'AbortController' in window ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, 10000);
    var url = proxy + '/similar?product_id=' + encodeURIComponent(productId) + (limit ? '&limit=' + limit : '') + (row ? '&colours=' + colours : '');

    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        clearTimeout(timer);
        // The merchant switched the block off in the Lookalike admin.
        if (data && data.enabled === false) return hide(root);
        var products = (data && Array.isArray(data.products) ? data.products : [])
          .filter(function (p) { return p && p.id != null && String(p.id) !== String(productId); })
          .slice(0, limit || 50);
        var others = (row && data && Array.isArray(data.colours) ? data.colours : [])
          .filter(function (p) { return p && p.id != null && String(p.id) !== String(productId); })
          .slice(0, colours);
        if (!products.length) return hide(root);
        var frag = document.createDocumentFragment();
        var cards = products.concat(others);
        var lis = cards.map(function (p, i) { var li = card(p, opts); if (i < products.length) frag.appendChild(li); return li; });
        var got = false;
        // One Storefront request for both rows. A cached answer fills the cards before they are shown; else they show what the proxy gave and are filled in place.
        market.marketData(opts.market, cards, function (data) {
          got = true;
          lis.forEach(function (li, i) { market.hydrate(li, cards[i], opts, data); });
          root.setAttribute('data-lookalike-market', data ? 'shopify' : 'none');
        });
        if (!got) lis.forEach(function (li, i) { market.hydrate(li, cards[i], opts, null); });
        grid.replaceChildren(frag);
        if (row) {
          var rowGrid = row.querySelector('[data-lookalike-colours-grid]');
          if (others.length && rowGrid) rowGrid.replaceChildren.apply(rowGrid, lis.slice(products.length));
          else row.hidden = true;
        }
        root.setAttribute('aria-busy', 'false');
        root.classList.add('lookalike--ready');
        var status = root.querySelector('[data-lookalike-status]');
        if (status) status.textContent = '';
        observe(root, opts, cards.map(function (p) { return String(p.id); }));
      })
      .catch(function () {
        clearTimeout(timer);
        hide(root);
      });
  }

  function observe(root, opts, ids) {
    var send = function () { beacon(opts.proxy, { type: 'impression', sourceProductId: opts.source, productIds: ids }); };
    if (!('IntersectionObserver' in window)) return send();
    var io = new IntersectionObserver(function (entries) {
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].isIntersecting) {
          io.disconnect();
          send();
          return;
        }
      }
    }, { threshold: 0.35 });
    io.observe(root);
  }

  function run() {
    var roots = document.querySelectorAll('[data-lookalike-similar]');
    for (var i = 0; i < roots.length; i++) init(roots[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
  else run();
  // Theme editor: re-initialise when the merchant adds or edits the block.
  document.addEventListener('shopify:section:load', run);
  document.addEventListener('shopify:block:select', run);
})();
