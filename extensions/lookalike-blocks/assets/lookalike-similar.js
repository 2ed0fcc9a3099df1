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

  function formatPrice(price, currency, locale) {
    var n = Number(price);
    if (!isFinite(n)) return '';
    try {
      return new Intl.NumberFormat(locale, { style: 'currency', currency: currency || 'USD' }).format(n);
    } catch (e) {
      return n.toFixed(2) + (currency ? ' ' + currency : '');
    }
  }

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
    if (opts.showPrice && p.price != null) {
      a.appendChild(el('span', 'lookalike__price', formatPrice(p.price, p.currency || opts.currency, opts.locale)));
    }
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
      currency: d.currency,
      locale: d.locale || document.documentElement.lang || undefined,
      ratio: (root.className.match(/lookalike--ratio-(\w+)/) || [])[1],
      sizes: '(min-width: 990px) ' + Math.round(100 / cols) + 'vw, (min-width: 750px) ' + Math.round(100 / Math.min(cols, 3)) + 'vw, 45vw'
    };

    var ctrl = 'AbortController' in window ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, 10000);
    var url = proxy + '/similar?product_id=' + encodeURIComponent(productId) + (limit ? '&limit=' + limit : '');

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
        if (!products.length) return hide(root);
        var frag = document.createDocumentFragment();
        products.forEach(function (p) { frag.appendChild(card(p, opts)); });
        grid.replaceChildren(frag);
        root.setAttribute('aria-busy', 'false');
        root.classList.add('lookalike--ready');
        var status = root.querySelector('[data-lookalike-status]');
        if (status) status.textContent = '';
        observe(root, opts, products.map(function (p) { return String(p.id); }));
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
