/* Lookalike — the shopper's market on the blocks' cards (decision 47): price, compare-at, title and URL
   from Shopify's Storefront API. Shared by lookalike-similar.js and lookalike-photo-search.js, which the
   blocks load after it (deferred scripts run in order); each uses window.LookalikeMarket. */
(function () {
  'use strict';
  if (window.LookalikeMarket) return;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
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

  window.LookalikeMarket = { marketOf: marketOf, marketData: marketData, hydrate: hydrate };
})();
