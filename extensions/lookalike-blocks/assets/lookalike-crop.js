/* Lookalike — the search-area box over the shopper's photo. Loaded by lookalike-photo-search.js only
   once a photo is chosen. Box in fractions 0..1 of the photo: { x, y, w, h }. Drag to move, corner
   handles to resize (pointer events: mouse, touch, pen); arrow keys move, Shift+arrows resize. */
(function () {
  'use strict';
  if (window.LookalikeCrop) return;
  var MIN = 0.15;
  var STEP = 0.02;

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function el(tag, cls) { var e = document.createElement(tag); e.className = cls; return e; }
  function pct(v) { return Math.round(v * 100); }

  // Edges moved by (dx, dy) in `mode` ('move' or a corner 'nw' | 'ne' | 'sw' | 'se'; 'e'/'s' for keyboard resizing).
  function moved(b, mode, dx, dy) {
    var l = b.x, t = b.y, r = b.x + b.w, d = b.y + b.h;
    if (mode === 'move') {
      dx = clamp(dx, -l, 1 - r);
      dy = clamp(dy, -t, 1 - d);
      l += dx; r += dx; t += dy; d += dy;
    } else {
      if (mode.indexOf('w') !== -1) l = clamp(l + dx, 0, r - MIN);
      if (mode.indexOf('e') !== -1) r = clamp(r + dx, l + MIN, 1);
      if (mode.indexOf('n') !== -1) t = clamp(t + dy, 0, d - MIN);
      if (mode.indexOf('s') !== -1) d = clamp(d + dy, t + MIN, 1);
    }
    return { x: l, y: t, w: r - l, h: d - t };
  }

  /**
   * stage: the positioned element wrapping the photo. o: { label, hint, text(p) → "left {x}%…",
   * onChange(box, done) } — done is false while a drag is under way (the box follows the pointer), true
   * when it ends or a key moved the box.
   */
  window.LookalikeCrop = function (stage, o) {
    var box = { x: 0, y: 0, w: 1, h: 1 };
    var frame = el('div', 'lookalike-crop');
    frame.tabIndex = 0;
    frame.setAttribute('role', 'slider');
    frame.setAttribute('aria-label', o.label);
    frame.setAttribute('aria-valuemin', '0');
    frame.setAttribute('aria-valuemax', '100');
    var hint = el('span', 'lookalike__visually-hidden');
    hint.id = 'lookalike-crop-hint';
    hint.textContent = o.hint;
    frame.setAttribute('aria-describedby', hint.id);
    ['nw', 'ne', 'sw', 'se'].forEach(function (c) {
      var h = el('span', 'lookalike-crop__handle lookalike-crop__handle--' + c);
      h.setAttribute('data-h', c);
      h.setAttribute('aria-hidden', 'true');
      frame.appendChild(h);
    });
    var live = el('span', 'lookalike__visually-hidden');
    live.setAttribute('aria-live', 'polite');
    stage.appendChild(frame);
    stage.appendChild(hint);
    stage.appendChild(live);

    var sayTimer = 0;
    function text() { return o.text({ x: pct(box.x), y: pct(box.y), w: pct(box.w), h: pct(box.h) }); }
    function draw(announce) {
      var s = frame.style;
      s.left = box.x * 100 + '%';
      s.top = box.y * 100 + '%';
      s.width = box.w * 100 + '%';
      s.height = box.h * 100 + '%';
      frame.setAttribute('aria-valuenow', String(pct(box.x + box.w / 2)));
      frame.setAttribute('aria-valuetext', text());
      if (announce) {
        clearTimeout(sayTimer);
        sayTimer = setTimeout(function () { live.textContent = text(); }, 400);
      }
    }
    function set(b, done, announce) {
      box = b;
      draw(announce);
      if (done != null) o.onChange({ x: box.x, y: box.y, w: box.w, h: box.h }, done);
    }

    var drag = null;
    frame.addEventListener('pointerdown', function (e) {
      if (e.button > 0) return;
      var r = stage.getBoundingClientRect();
      if (!r.width || !r.height) return;
      e.preventDefault();
      frame.focus({ preventScroll: true });
      drag = { id: e.pointerId, mode: (e.target.getAttribute && e.target.getAttribute('data-h')) || 'move', x: e.clientX, y: e.clientY, w: r.width, h: r.height, b: box };
      frame.classList.add('is-dragging');
      try { frame.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events */ }
    });
    frame.addEventListener('pointermove', function (e) {
      if (!drag || e.pointerId !== drag.id) return;
      set(moved(drag.b, drag.mode, (e.clientX - drag.x) / drag.w, (e.clientY - drag.y) / drag.h), false);
    });
    function end(e) {
      if (!drag || e.pointerId !== drag.id) return;
      var changed = drag.b !== box;
      drag = null;
      frame.classList.remove('is-dragging');
      if (changed) set(box, true, true);
    }
    frame.addEventListener('pointerup', end);
    frame.addEventListener('pointercancel', end);

    frame.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); set(box, 'now'); return; }
      var dx = e.key === 'ArrowRight' ? STEP : e.key === 'ArrowLeft' ? -STEP : 0;
      var dy = e.key === 'ArrowDown' ? STEP : e.key === 'ArrowUp' ? -STEP : 0;
      if (!dx && !dy) return;
      e.preventDefault();
      set(moved(box, e.shiftKey ? 'se' : 'move', dx, dy), true, true);
    });

    draw(false);
    return {
      set: function (b) {
        var w = clamp(+b.w || 1, MIN, 1), h = clamp(+b.h || 1, MIN, 1);
        set({ x: clamp(+b.x || 0, 0, 1 - w), y: clamp(+b.y || 0, 0, 1 - h), w: w, h: h }, null, false);
      },
      get: function () { return { x: box.x, y: box.y, w: box.w, h: box.h }; },
      frame: frame
    };
  };
})();
