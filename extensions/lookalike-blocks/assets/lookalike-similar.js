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
    if (!isFinite(n) || !currency) return '';
    try {
      return new Intl.NumberFormat(locale, { style: 'currency', currency: currency }).format(n);
    } catch (e) {
      return n.toFixed(2) + ' ' + currency;
    }
  }

  /* ---------- the shopper's market: price, title and URL from Shopify's Storefront API ---------- */
  // One request for all cards (tokenless: products only), cached for the tab by market, language and ids.
  // Without an answer for a card: its price is shown only when the proxy's currency is the market's.
  var NODE = '...on Product{id handle title priceRange{minVariantPrice{amount currencyCode}} compareAtPriceRange{minVariantPrice{amount currencyCode}}}' +
    '...on ProductVariant{id product{id} price{amount currencyCode} compareAtPrice{amount currencyCode}}';
  function gid(type, id) { return 'gid://shopify/' + type + '/' + String(id).split('/').pop(); }
  function variantOf(p) { var v = p.variantId; return v != null && /^(gid:\/\/shopify\/ProductVariant\/)?\d+$/.test(String(v)) ? String(v).split('/').pop() : null; }
  function marketOf(d) {
    var c = String(d.country || '').toUpperCase();
    var l = String(d.language || '').toUpperCase().replace('-', '_');
    return {
      api: d.storefrontApi || '',
      country: /^[A-Z]{2}$/.test(c) ? c : '',
      language: /^[A-Z]{2}(_[A-Z]{2})?$/.test(l) ? l : '',
      currency: String(d.currency || '').toUpperCase(),
      root: String(d.root || '/').replace(/\/+$/, '')
    };
  }
  function marketData(m, products, done) {
    var ids = [];
    products.forEach(function (p) {
      ids.push(gid('Product', p.id));
      var v = variantOf(p);
      if (v) ids.push(gid('ProductVariant', v));
    });
    var key = 'lookalike:m:' + m.country + ':' + m.language + ':' + ids.join(',');
    var hit = null;
    try { hit = JSON.parse(sessionStorage.getItem(key)); } catch (e) { /* no storage */ }
    if (hit) return done(hit);
    if (!m.api || !window.fetch) return done(null);
    var defs = '', args = [], vars = { ids: ids };
    if (m.country) { defs += ',$c:CountryCode!'; args.push('country:$c'); vars.c = m.country; }
    if (m.language) { defs += ',$l:LanguageCode!'; args.push('language:$l'); vars.l = m.language; }
    var q = 'query Cards($ids:[ID!]!' + defs + ')' + (args.length ? '@inContext(' + args.join(',') + ')' : '') + '{nodes(ids:$ids){' + NODE + '}}';
    fetch(m.api, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ query: q, variables: vars }) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        var nodes = j && j.data && j.data.nodes;
        if (!Array.isArray(nodes)) return done(null);
        var map = {};
        nodes.forEach(function (n) { if (n && n.id) map[n.id] = n; });
        try { sessionStorage.setItem(key, JSON.stringify(map)); } catch (e) { /* full or off */ }
        done(map);
      }, function () { done(null); });
  }
  // What a card shows in the shopper's market: { title, url, price, compare, currency } (price null: hidden).
  function localized(p, m, data) {
    // Without Shopify's answer: the proxy's link, under the shopper's locale prefix.
    var out = { title: p.title || '', url: m.root + (/^\/[^/]/.test(p.url || '') ? p.url : '/products/' + encodeURIComponent(p.handle || '')), price: null, compare: null, currency: m.currency };
    var prod = data && data[gid('Product', p.id)];
    var v = variantOf(p);
    var vn = v && data ? data[gid('ProductVariant', v)] : null;
    if (vn && !(vn.product && vn.product.id === gid('Product', p.id))) vn = null; // another product's variant: ignored
    if (prod) {
      out.title = prod.title || out.title;
      out.url = m.root + '/products/' + encodeURIComponent(prod.handle) + (vn ? '?variant=' + v : '');
      var money = vn ? vn.price : prod.priceRange && prod.priceRange.minVariantPrice;
      var was = vn ? vn.compareAtPrice : prod.compareAtPriceRange && prod.compareAtPriceRange.minVariantPrice;
      if (money && money.currencyCode) {
        out.price = money.amount;
        out.currency = money.currencyCode;
        if (was && was.currencyCode === money.currencyCode && Number(was.amount) > Number(money.amount)) out.compare = was.amount;
      }
    } else if (p.currency && String(p.currency).toUpperCase() === m.currency && !(data && v)) {
      out.price = p.price;
      out.currency = m.currency;
    }
    return out;
  }
  function fillPrice(slot, x, opts) {
    var now = x.price != null ? formatPrice(x.price, x.currency, opts.locale) : '';
    slot.replaceChildren();
    if (!now) { slot.textContent = '\u00a0'; return; }
    if (x.compare != null) {
      slot.appendChild(el('span', 'lookalike__visually-hidden', opts.strings.regularPrice || ''));
      slot.appendChild(el('s', 'lookalike__compare', formatPrice(x.compare, x.currency, opts.locale)));
      slot.appendChild(document.createTextNode(' '));
      slot.appendChild(el('span', 'lookalike__visually-hidden', opts.strings.salePrice || ''));
      slot.appendChild(el('span', 'lookalike__sale', now));
    } else slot.textContent = now;
  }
  function hydrate(li, p, opts, data) {
    var x = localized(p, opts.market, data);
    li.querySelector('.lookalike__link').href = x.url;
    li.querySelector('.lookalike__title').textContent = x.title;
    var slot = li.querySelector('.lookalike__price');
    if (slot) fillPrice(slot, x, opts);
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
      market: marketOf(d),
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
        marketData(opts.market, cards, function (data) {
          got = true;
          lis.forEach(function (li, i) { hydrate(li, cards[i], opts, data); });
          root.setAttribute('data-lookalike-market', data ? 'shopify' : 'none');
        });
        if (!got) lis.forEach(function (li, i) { hydrate(li, cards[i], opts, null); });
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
