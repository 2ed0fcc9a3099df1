/* Lookalike — "Search by photo" dialog. Shared by the app block and the launcher embed. No framework. */
(function () {
  'use strict';
  if (window.__lookalikePhoto) return;
  window.__lookalikePhoto = true;

  var MAX_SIDE = 640;
  var QUALITY = 0.85;
  var WIDTHS = [180, 270, 360, 540];
  var S = {}; // strings
  var st = { proxy: '', limit: 0, locale: undefined, marketAttrs: null, opener: null, blob: null, preview: null, mode: 'photo', source: null, seq: 0, ctrl: null, sent: false,
    box: null, touched: false, type: '', types: [], crop: null, timer: 0 };
  var cropLoad = null;
  var ui = null;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function fill(str, vars) {
    return String(str || '').replace(/\{(\w+)\}/g, function (m, k) { return vars[k] != null ? vars[k] : m; });
  }
  function icon(path, size) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', size || 20);
    svg.setAttribute('height', size || 20);
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var p = document.createElementNS(ns, 'path');
    p.setAttribute('d', path);
    p.setAttribute('fill', 'none');
    p.setAttribute('stroke', 'currentColor');
    p.setAttribute('stroke-width', '1.75');
    p.setAttribute('stroke-linecap', 'round');
    p.setAttribute('stroke-linejoin', 'round');
    svg.appendChild(p);
    return svg;
  }
  var I_CLOSE = 'M6 6l12 12M18 6L6 18';
  var I_UPLOAD = 'M12 16V4m0 0l-4.5 4.5M12 4l4.5 4.5M4 15v3.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V15';
  var I_CAMERA = 'M4 8.5A2.5 2.5 0 0 1 6.5 6h1.6l1.4-2h5l1.4 2h1.6A2.5 2.5 0 0 1 20 8.5v8a2.5 2.5 0 0 1-2.5 2.5h-11A2.5 2.5 0 0 1 4 16.5zM15.5 12.5a3.5 3.5 0 1 1-7 0 3.5 3.5 0 0 1 7 0z';
  var I_BACK = 'M15 18l-6-6 6-6';

  function beacon(payload) {
    try {
      if (navigator.sendBeacon) navigator.sendBeacon(st.proxy + '/events', JSON.stringify(payload));
    } catch (e) { /* analytics must never block */ }
  }


  function cdn(url) {
    try {
      var u = new URL(url, location.href);
      return u.hostname === 'cdn.shopify.com' || u.pathname.indexOf('/cdn/shop/') === 0;
    } catch (e) { return false; }
  }
  function sized(url, w) {
    var u = new URL(url, location.href);
    u.searchParams.set('width', String(w));
    return u.toString();
  }

  /* ---------- dialog ---------- */

  function button(cls, label, path) {
    var b = el('button', cls);
    b.type = 'button';
    if (path) b.appendChild(icon(path));
    b.appendChild(el('span', null, label));
    return b;
  }

  function build() {
    var root = el('div', 'lookalike lookalike-modal');
    root.hidden = true;
    var backdrop = el('div', 'lookalike-modal__backdrop');
    var panel = el('div', 'lookalike-modal__panel');
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-modal', 'true');
    panel.setAttribute('aria-labelledby', 'lookalike-modal-title');
    panel.tabIndex = -1;

    var head = el('div', 'lookalike-modal__header');
    var h = el('h2', 'lookalike-modal__title', S.title);
    h.id = 'lookalike-modal-title';
    var close = el('button', 'lookalike-modal__close');
    close.type = 'button';
    close.setAttribute('aria-label', S.close);
    close.appendChild(icon(I_CLOSE, 22));
    head.appendChild(h);
    head.appendChild(close);

    var body = el('div', 'lookalike-modal__body');

    var file = el('input');
    file.type = 'file';
    file.accept = 'image/*';
    file.hidden = true;
    var cam = el('input');
    cam.type = 'file';
    cam.accept = 'image/*';
    cam.setAttribute('capture', 'environment');
    cam.hidden = true;

    var drop = el('div', 'lookalike-drop');
    var dropIcon = el('span', 'lookalike-drop__icon');
    dropIcon.appendChild(icon(I_UPLOAD, 28));
    drop.appendChild(dropIcon);
    drop.appendChild(el('p', 'lookalike-drop__title', S.dropTitle));
    drop.appendChild(el('p', 'lookalike-drop__hint', S.dropHint));
    var actions = el('div', 'lookalike-drop__actions');
    var choose = button('lookalike__button lookalike__button--primary', S.choose, I_UPLOAD);
    var camera = button('lookalike__button lookalike__button--secondary lookalike-camera', S.camera, I_CAMERA);
    actions.appendChild(choose);
    actions.appendChild(camera);
    drop.appendChild(actions);
    drop.appendChild(file);
    drop.appendChild(cam);

    var query = el('div', 'lookalike-query');
    query.hidden = true;
    var stage = el('div', 'lookalike-stage');
    var thumb = el('img', 'lookalike-stage__img');
    thumb.alt = S.yourPhoto;
    stage.appendChild(thumb);
    var side = el('div', 'lookalike-query__side');
    var refine = el('form', 'lookalike-refine');
    refine.noValidate = true;
    var words = el('input', 'lookalike-field__input lookalike-refine__input');
    words.type = 'text';
    words.name = 'q';
    words.id = 'lookalike-words';
    words.maxLength = 200;
    words.autocomplete = 'off';
    words.placeholder = S.wordsPlaceholder || '';
    var wl = el('label', 'lookalike-field__label', S.words);
    wl.htmlFor = words.id;
    var again = el('button', 'lookalike__button lookalike__button--primary lookalike-refine__go', S.searchArea);
    again.type = 'submit';
    refine.appendChild(wl);
    refine.appendChild(words);
    refine.appendChild(again);
    side.appendChild(refine);
    var change = button('lookalike__textbutton', S.change);
    side.appendChild(change);
    query.appendChild(stage);
    query.appendChild(side);

    var form = el('form', 'lookalike-filters');
    form.noValidate = true;
    var fs = el('fieldset', 'lookalike-filters__set');
    fs.appendChild(el('legend', 'lookalike-filters__legend', S.filters));
    function num(name, label) {
      var wrap = el('label', 'lookalike-field');
      wrap.appendChild(el('span', 'lookalike-field__label', label));
      var i = el('input', 'lookalike-field__input');
      i.type = 'number';
      i.name = name;
      i.min = '0';
      i.step = '0.01';
      i.inputMode = 'decimal';
      wrap.appendChild(i);
      fs.appendChild(wrap);
      return i;
    }
    var min = num('min_price', S.minPrice);
    var max = num('max_price', S.maxPrice);
    var apply = el('button', 'lookalike__button lookalike__button--secondary lookalike-filters__apply', S.apply);
    apply.type = 'submit';
    fs.appendChild(apply);
    form.appendChild(fs);
    side.appendChild(form);

    var status = el('p', 'lookalike-status');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');

    var rhead = el('div', 'lookalike-results__head');
    rhead.hidden = true;
    var back = button('lookalike__textbutton lookalike-results__back', S.back, I_BACK);
    rhead.appendChild(back);
    rhead.appendChild(el('h3', 'lookalike-results__title'));

    var chips = el('div', 'lookalike-chips');
    chips.setAttribute('role', 'group');
    chips.setAttribute('aria-label', S.kinds);
    chips.hidden = true;

    var grid = el('ul', 'lookalike__grid lookalike-results');
    grid.setAttribute('role', 'list');

    var msg = el('div', 'lookalike-message');
    msg.hidden = true;
    msg.appendChild(el('p', 'lookalike-message__text'));
    var retry = button('lookalike__button lookalike__button--secondary', S.retry);
    msg.appendChild(retry);

    [drop, query, status, rhead, chips, grid, msg].forEach(function (n) { body.appendChild(n); });
    panel.appendChild(head);
    panel.appendChild(body);
    root.appendChild(backdrop);
    root.appendChild(panel);
    document.body.appendChild(root);

    ui = { root: root, panel: panel, drop: drop, file: file, cam: cam, query: query, stage: stage, thumb: thumb, words: words, form: form, min: min, max: max, status: status, rhead: rhead, back: back, chips: chips, grid: grid, msg: msg, retry: retry, choose: choose };

    close.addEventListener('click', closeDialog);
    backdrop.addEventListener('click', closeDialog);
    choose.addEventListener('click', function () { file.click(); });
    camera.addEventListener('click', function () { cam.click(); });
    change.addEventListener('click', function () { file.click(); });
    file.addEventListener('change', function () { pick(file); });
    cam.addEventListener('change', function () { pick(cam); });
    form.addEventListener('submit', function (e) { e.preventDefault(); rerun(); });
    refine.addEventListener('submit', function (e) { e.preventDefault(); clearTimeout(st.timer); st.mode = 'photo'; st.source = null; rerun(); });
    back.addEventListener('click', function () { st.mode = 'photo'; st.source = null; chips(); rerun(); });
    retry.addEventListener('click', rerun);
    panel.addEventListener('keydown', onKey);

    ['dragenter', 'dragover'].forEach(function (t) {
      panel.addEventListener(t, function (e) {
        if (!hasFiles(e)) return;
        e.preventDefault();
        drop.classList.add('is-dragover');
      });
    });
    ['dragleave', 'drop'].forEach(function (t) {
      panel.addEventListener(t, function (e) {
        if (t === 'dragleave' && panel.contains(e.relatedTarget)) return;
        drop.classList.remove('is-dragover');
      });
    });
    panel.addEventListener('drop', function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      var f = e.dataTransfer.files[0];
      if (f) handle(f);
    });
  }

  function hasFiles(e) {
    var t = e.dataTransfer && e.dataTransfer.types;
    return !!t && Array.prototype.indexOf.call(t, 'Files') !== -1;
  }

  function focusables() {
    var list = ui.panel.querySelectorAll('button, [href], input:not([type="file"]), select, textarea, [tabindex]:not([tabindex="-1"])');
    return Array.prototype.filter.call(list, function (n) {
      return !n.disabled && n.getClientRects().length > 0;
    });
  }

  function onKey(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeDialog();
      return;
    }
    if (e.key !== 'Tab') return;
    var f = focusables();
    if (!f.length) { e.preventDefault(); return; }
    var first = f[0];
    var last = f[f.length - 1];
    var a = document.activeElement;
    if (e.shiftKey && (a === first || a === ui.panel)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && a === last) { e.preventDefault(); first.focus(); }
  }

  function onFocusIn(e) {
    if (ui && !ui.root.hidden && !ui.panel.contains(e.target)) {
      var f = focusables();
      (f[0] || ui.panel).focus();
    }
  }

  function openDialog(trigger) {
    var d = trigger.dataset;
    st.proxy = (d.proxyPath || '').replace(/\/$/, '');
    var set = parseInt(d.limit, 10);
    st.limit = set > 0 ? Math.min(50, set) : 0; // 0: the shop's "Number of results"
    st.locale = d.locale || document.documentElement.lang || undefined;
    st.marketAttrs = d;
    if (!ui) {
      try { S = JSON.parse($('[data-lookalike-photo-strings]').textContent); } catch (e) { S = {}; }
      build();
    }
    loadMarket().catch(function () { /* the cards keep the proxy's title and link */ });
    st.opener = trigger;
    ui.root.hidden = false;
    document.documentElement.classList.add('lookalike-locked');
    document.addEventListener('focusin', onFocusIn);
    document.addEventListener('paste', onPaste);
    requestAnimationFrame(function () { ui.root.classList.add('is-open'); });
    (st.blob ? ui.words : ui.choose).focus();
  }

  function closeDialog() {
    if (!ui || ui.root.hidden) return;
    if (st.ctrl) st.ctrl.abort();
    ui.root.classList.remove('is-open');
    ui.root.hidden = true;
    document.documentElement.classList.remove('lookalike-locked');
    document.removeEventListener('focusin', onFocusIn);
    document.removeEventListener('paste', onPaste);
    clearTimeout(st.timer);
    if (st.opener && document.contains(st.opener)) st.opener.focus();
  }

  /* ---------- photo handling ---------- */

  // A pasted image (a screenshot, "Copy image"): searched as if chosen. Text pastes are left alone.
  function onPaste(e) {
    var items = (e.clipboardData && e.clipboardData.files) || [];
    for (var i = 0; i < items.length; i++) {
      if (/^image\//.test(items[i].type)) {
        e.preventDefault();
        return handle(items[i]);
      }
    }
  }

  // The box code (lookalike-crop.js) loads once, when the first photo is chosen.
  // Code loaded when first needed, from the blocks' assets: the box (lookalike-crop.js, when the first
  // photo is chosen) and the shopper's market on the cards (lookalike-market.js, when the dialog first
  // opens; shared with the similar block, so often on the page already).
  var loads = {};
  function loadAsset(file, src) {
    if (!loads[file]) {
      loads[file] = new Promise(function (resolve, reject) {
        var me = $('script[src*="lookalike-photo-search.js"]');
        var s = document.createElement('script');
        s.src = src || (me ? me.src.replace('lookalike-photo-search.js', file) : '');
        s.async = true;
        s.onload = resolve;
        s.onerror = function () { loads[file] = null; reject(new Error(file)); };
        document.head.appendChild(s);
      });
    }
    return loads[file];
  }
  function loadCrop() { return window.LookalikeCrop ? Promise.resolve() : loadAsset('lookalike-crop.js', S.cropSrc); }
  function loadMarket() { return window.LookalikeMarket ? Promise.resolve() : loadAsset('lookalike-market.js', S.marketSrc); }

  function showCrop() {
    loadCrop().then(function () {
      if (!st.crop) {
        st.crop = window.LookalikeCrop(ui.stage, {
          label: S.area,
          hint: S.areaHint,
          text: function (p) { return fill(S.areaValue, p); },
          onChange: function (b, done) {
            st.box = b;
            st.touched = true;
            clearTimeout(st.timer);
            if (done) st.timer = setTimeout(function () { st.mode = 'photo'; st.source = null; rerun(); }, done === 'now' ? 0 : 700);
          }
        });
      }
      st.crop.set(st.box || { x: 0, y: 0, w: 1, h: 1 });
    }, function () { /* no box: the whole photo is searched */ });
  }

  function pick(input) {
    var f = input.files && input.files[0];
    input.value = '';
    if (f) handle(f);
  }

  function decode(file) {
    function viaImg() {
      return new Promise(function (resolve, reject) {
        var url = URL.createObjectURL(file);
        var img = new Image();
        img.onload = function () { resolve({ src: img, w: img.naturalWidth, h: img.naturalHeight, done: function () { URL.revokeObjectURL(url); } }); };
        img.onerror = function () { URL.revokeObjectURL(url); reject(new Error('decode')); };
        img.src = url;
      });
    }
    if (!window.createImageBitmap) return viaImg();
    return createImageBitmap(file, { imageOrientation: 'from-image' })
      .catch(function () { return createImageBitmap(file); })
      .then(function (b) { return { src: b, w: b.width, h: b.height, done: function () { if (b.close) b.close(); } }; })
      .catch(viaImg);
  }

  function downscale(file) {
    return decode(file).then(function (d) {
      var s = Math.min(1, MAX_SIDE / Math.max(d.w, d.h));
      var c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(d.w * s));
      c.height = Math.max(1, Math.round(d.h * s));
      var ctx = c.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.drawImage(d.src, 0, 0, c.width, c.height);
      d.done();
      return new Promise(function (resolve, reject) {
        c.toBlob(function (b) { b ? resolve(b) : reject(new Error('encode')); }, 'image/jpeg', QUALITY);
      });
    });
  }

  function handle(file) {
    if (file.type && !/^image\//.test(file.type)) return fail(S.errorFile);
    if (file.size > 30 * 1024 * 1024) return fail(S.errorTooLarge);
    setStatus(S.preparing);
    downscale(file).then(function (blob) {
      st.blob = blob;
      st.sent = false;
      if (st.preview) URL.revokeObjectURL(st.preview);
      st.preview = URL.createObjectURL(blob);
      ui.thumb.src = st.preview;
      ui.drop.hidden = true;
      ui.query.hidden = false;
      st.mode = 'photo';
      st.source = null;
      st.box = null;
      st.touched = false;
      st.type = '';
      st.types = [];
      ui.words.value = '';
      clearTimeout(st.timer);
      chips();
      showCrop();
      rerun();
    }, function () {
      // HEIC (an iPhone's photo): re-encoded above where the browser decodes it (Safari); elsewhere say so.
      fail(/^image\/hei[cf]/i.test(file.type || '') || /\.hei[cf]$/i.test(file.name || '') ? S.errorHeic : S.errorFile);
    });
  }

  /* ---------- search ---------- */

  function filters() {
    var a = parseFloat(ui.min.value);
    var b = parseFloat(ui.max.value);
    var q = '';
    if (isFinite(a) && isFinite(b) && a > b) { var t = a; a = b; b = t; }
    if (isFinite(a) && a > 0) q += '&min_price=' + encodeURIComponent(a);
    if (isFinite(b) && b > 0) q += '&max_price=' + encodeURIComponent(b);
    return q;
  }

  function rerun() {
    if (st.mode === 'similar' && st.source) return search('similar');
    if (st.blob) return search('photo');
  }

  function search(kind) {
    if (st.ctrl) st.ctrl.abort();
    var ctrl = 'AbortController' in window ? new AbortController() : null;
    st.ctrl = ctrl;
    var seq = ++st.seq;
    var q = filters();
    var req;
    if (kind === 'photo') {
      var fd = new FormData();
      fd.append('image', st.blob, 'photo.jpg');
      var b = st.touched && st.box;
      if (b) ['x', 'y', 'w', 'h'].forEach(function (k) { q += '&box_' + k + '=' + Math.round(b[k] * 1e4) / 1e4; });
      var words = ui.words.value.trim().slice(0, 200);
      if (words) q += '&q=' + encodeURIComponent(words);
      if (st.type) q += '&type=' + encodeURIComponent(st.type);
      req = fetch(st.proxy + '/visual-search?' + lim() + q, { method: 'POST', body: fd, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal: ctrl && ctrl.signal });
      if (!st.sent) { st.sent = true; beacon({ type: 'photo_search' }); }
    } else {
      req = fetch(st.proxy + '/similar?product_id=' + encodeURIComponent(st.source.id) + '&' + lim() + q, { credentials: 'same-origin', headers: { Accept: 'application/json' }, signal: ctrl && ctrl.signal });
    }
    loading(kind);
    req.then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw { status: r.status, body: j };
        return j;
      });
    }).then(function (j) {
      if (seq !== st.seq) return;
      if (kind === 'photo') answered(j);
      render(Array.isArray(j.products) ? j.products : [], kind);
    }, function (err) {
      if (seq !== st.seq || (err && err.name === 'AbortError')) return;
      fail(err && err.status === 413 ? S.errorTooLarge : S.error, true);
    });
  }

  // The server's box (its own guess until the shopper moves it) and the kinds among the results.
  function answered(j) {
    var b = j.box;
    if (!st.touched && b && isFinite(b.x) && isFinite(b.y) && b.w > 0 && b.h > 0) {
      st.box = { x: +b.x, y: +b.y, w: +b.w, h: +b.h };
      if (st.crop) st.crop.set(st.box);
    }
    if (!st.type) st.types = (Array.isArray(j.types) ? j.types : []).filter(function (t) { return t && t.value; }).slice(0, 8);
    chips();
  }

  function chips() {
    var on = st.mode === 'photo' && st.types.length > 1;
    ui.chips.hidden = !on;
    if (!on) return;
    var frag = document.createDocumentFragment();
    st.types.forEach(function (t) {
      var c = el('button', 'lookalike-chip', t.value);
      c.type = 'button';
      c.setAttribute('aria-pressed', String(st.type === t.value));
      c.addEventListener('click', function () {
        st.type = st.type === t.value ? '' : t.value;
        search('photo');
        chips();
        var again = ui.chips.querySelectorAll('.lookalike-chip');
        for (var i = 0; i < again.length; i++) if (again[i].textContent === t.value) again[i].focus();
      });
      frag.appendChild(c);
    });
    ui.chips.replaceChildren(frag);
  }

  function lim() { return st.limit ? 'limit=' + st.limit : ''; }

  function setStatus(t) {
    ui.status.textContent = t || '';
  }

  function loading(kind) {
    ui.msg.hidden = true;
    ui.grid.setAttribute('aria-busy', 'true');
    ui.grid.removeAttribute('data-lookalike-market');
    setStatus(S.searching);
    heading(kind, null);
    var frag = document.createDocumentFragment();
    for (var i = 0; i < Math.min(st.limit || 4, 8); i++) {
      var li = el('li', 'lookalike__card lookalike__card--skeleton');
      li.setAttribute('aria-hidden', 'true');
      li.appendChild(el('span', 'lookalike__media'));
      li.appendChild(el('span', 'lookalike__title')).appendChild(el('span', 'lookalike__line'));
      li.appendChild(el('span', 'lookalike__price')).appendChild(el('span', 'lookalike__line lookalike__line--short'));
      frag.appendChild(li);
    }
    ui.grid.replaceChildren(frag);
  }

  function heading(kind, count) {
    var similar = kind === 'similar' && st.source;
    ui.rhead.hidden = !similar && count == null;
    ui.back.hidden = !similar;
    var t = ui.rhead.querySelector('.lookalike-results__title');
    if (similar) t.textContent = fill(S.similarTo, { title: st.source.title });
    else if (count != null) {
      var one = window.Intl && Intl.PluralRules ? new Intl.PluralRules(st.locale).select(count) === 'one' : count === 1;
      t.textContent = fill(one ? S.resultsOne : S.resultsOther, { count: count });
    } else t.textContent = '';
  }

  function render(products, kind) {
    ui.grid.removeAttribute('aria-busy');
    if (!products.length) {
      ui.grid.replaceChildren();
      heading(kind, null);
      return fail(S.empty, false);
    }
    var frag = document.createDocumentFragment();
    var lis = products.map(function (p) { var li = card(p); frag.appendChild(li); return li; });
    var opts = { locale: st.locale, strings: S };
    var seq = st.seq, got = false;
    function marketCards() {
      var M = window.LookalikeMarket;
      if (seq !== st.seq) return; // a newer search replaced these cards
      opts.market = M.marketOf(st.marketAttrs);
      M.marketData(opts.market, products, function (data) {
        if (seq !== st.seq) return;
        got = true;
        lis.forEach(function (li, i) { M.hydrate(li, products[i], opts, data); });
        ui.grid.setAttribute('data-lookalike-market', data ? 'shopify' : 'none');
      });
      if (!got) lis.forEach(function (li, i) { M.hydrate(li, products[i], opts, null); });
    }
    // A cached market answer fills the cards before they are shown; else they are filled in place.
    if (window.LookalikeMarket) marketCards();
    else loadMarket().then(marketCards, function () { ui.grid.setAttribute('data-lookalike-market', 'none'); });
    ui.grid.replaceChildren(frag);
    heading(kind, products.length);
    setStatus(kind === 'similar' ? ui.rhead.textContent : fill(products.length === 1 ? S.resultsOne : S.resultsOther, { count: products.length }));
  }

  function card(p) {
    var li = el('li', 'lookalike__card');
    var a = el('a', 'lookalike__link');
    a.href = p.url || '/products/' + encodeURIComponent(p.handle || '');
    a.addEventListener('click', function () { beacon({ type: 'click', productId: String(p.id) }); });
    var media = el('span', 'lookalike__media');
    if (p.image) {
      var img = el('img', 'lookalike__img');
      img.alt = '';
      img.loading = 'lazy';
      img.decoding = 'async';
      img.width = 400;
      img.height = 400;
      if (cdn(p.image)) {
        img.src = sized(p.image, 360);
        img.srcset = WIDTHS.map(function (w) { return sized(p.image, w) + ' ' + w + 'w'; }).join(', ');
        img.sizes = '(min-width: 750px) 200px, 45vw';
      } else img.src = p.image;
      media.appendChild(img);
    } else media.classList.add('lookalike__media--empty');
    a.appendChild(media);
    a.appendChild(el('span', 'lookalike__title', p.title || ''));
    a.appendChild(el('span', 'lookalike__price', '\u00a0'));
    li.appendChild(a);
    var more = el('button', 'lookalike__textbutton lookalike__more', S.moreLikeThis);
    more.type = 'button';
    more.setAttribute('aria-label', S.moreLikeThis + ': ' + (p.title || ''));
    more.addEventListener('click', function () {
      st.mode = 'similar';
      st.source = { id: String(p.id), title: p.title || '' };
      ui.chips.hidden = true;
      search('similar');
      // Scroll the panel, never the page behind it (scrollIntoView would move every scrolling ancestor).
      ui.panel.scrollTop = 0;
      ui.back.focus();
    });
    li.appendChild(more);
    return li;
  }

  function fail(text, canRetry) {
    if (!ui) return;
    ui.grid.removeAttribute('aria-busy');
    ui.grid.replaceChildren();
    ui.msg.hidden = false;
    ui.msg.firstChild.textContent = text;
    ui.retry.hidden = !canRetry;
    if (canRetry) ui.chips.hidden = true;
    setStatus(text);
  }

  /* ---------- the shop's switches, and the launcher stepping aside ---------- */

  // The photo block and the launcher render hidden; the app proxy's /config says whether the
  // merchant has them on (Lookalike › Settings › Storefront blocks).
  function reveal() {
    var nodes = document.querySelectorAll('[data-lookalike-photo-block][hidden], [data-lookalike-launcher][hidden]');
    if (!nodes.length) return;
    var opener = nodes[0].querySelector('[data-lookalike-photo-open]');
    var proxy = opener && (opener.dataset.proxyPath || '').replace(/\/$/, '');
    if (!proxy) return;
    fetch(proxy + '/config', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        var b = (c && c.blocks) || {};
        Array.prototype.forEach.call(nodes, function (n) {
          if (b[n.hasAttribute('data-lookalike-launcher') ? 'launcher' : 'photoSearch'] === true) n.hidden = false;
        });
        tuck();
      }, function () { /* no answer: stay hidden, the search could not run either */ });
  }

  // The floating button never covers a product card or the photo block: over one, it steps aside.
  var tuckQueued = false;
  function tuck() {
    tuckQueued = false;
    var l = $('[data-lookalike-launcher]');
    if (!l || l.hidden) return;
    var b = l.getBoundingClientRect();
    var pad = 8;
    var over = Array.prototype.some.call(document.querySelectorAll('.lookalike__card, .lookalike-photo-block'), function (n) {
      if (n.closest('.lookalike-modal')) return false;
      var r = n.getBoundingClientRect();
      return r.width > 0 && r.left < b.right + pad && r.right > b.left - pad && r.top < b.bottom + pad && r.bottom > b.top - pad;
    });
    l.classList.toggle('lookalike-launcher--tucked', over);
  }
  function queueTuck() {
    if (tuckQueued) return;
    tuckQueued = true;
    requestAnimationFrame(tuck);
  }
  document.addEventListener('scroll', queueTuck, { capture: true, passive: true });
  window.addEventListener('resize', queueTuck);
  if ('MutationObserver' in window && document.body) {
    new MutationObserver(queueTuck).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden'] });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', reveal);
  else reveal();

  document.addEventListener('click', function (e) {
    var t = e.target.closest && e.target.closest('[data-lookalike-photo-open]');
    if (t) {
      e.preventDefault();
      openDialog(t);
    }
  });
})();
