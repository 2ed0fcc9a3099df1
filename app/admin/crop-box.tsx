/**
 * The search-area box over a photo, for the admin's Preview › Search by photo: the storefront
 * widget's box (extensions/lookalike-blocks/assets/lookalike-crop.js) as a React component. The box
 * is in fractions 0..1 of the photo; drag it to move, its corners to resize (pointer events: mouse,
 * touch, pen); arrow keys move it, Shift+arrows resize it, Enter asks for a search.
 */
import { useEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent } from "react";

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const WHOLE: Box = { x: 0, y: 0, w: 1, h: 1 };
export const MIN_SIDE = 0.15;
const STEP = 0.02;
type Mode = "move" | "nw" | "ne" | "sw" | "se";

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** `b` moved (mode "move") or resized by one corner by (dx, dy), kept inside the photo and at least MIN_SIDE a side. */
export function movedBox(b: Box, mode: Mode, dx: number, dy: number): Box {
  let l = b.x, t = b.y, r = b.x + b.w, d = b.y + b.h;
  if (mode === "move") {
    dx = clamp(dx, -l, 1 - r);
    dy = clamp(dy, -t, 1 - d);
    l += dx; r += dx; t += dy; d += dy;
  } else {
    if (mode.includes("w")) l = clamp(l + dx, 0, r - MIN_SIDE);
    if (mode.includes("e")) r = clamp(r + dx, l + MIN_SIDE, 1);
    if (mode.includes("n")) t = clamp(t + dy, 0, d - MIN_SIDE);
    if (mode.includes("s")) d = clamp(d + dy, t + MIN_SIDE, 1);
  }
  return { x: l, y: t, w: r - l, h: d - t };
}

/** A box from outside (a server's answer) made valid. */
export function validBox(b: Partial<Box> | null | undefined): Box {
  if (!b) return WHOLE;
  const w = clamp(Number(b.w) || 1, MIN_SIDE, 1), h = clamp(Number(b.h) || 1, MIN_SIDE, 1);
  return { x: clamp(Number(b.x) || 0, 0, 1 - w), y: clamp(Number(b.y) || 0, 0, 1 - h), w, h };
}

export const boxText = (b: Box) => `Left ${Math.round(b.x * 100)}%, top ${Math.round(b.y * 100)}%, width ${Math.round(b.w * 100)}%, height ${Math.round(b.h * 100)}%`;

const HANDLE: CSSProperties = { position: "absolute", width: 32, height: 32, touchAction: "none" };
const CORNER: Record<Exclude<Mode, "move">, CSSProperties> = {
  nw: { left: -2, top: -2, cursor: "nwse-resize" },
  ne: { right: -2, top: -2, cursor: "nesw-resize" },
  sw: { left: -2, bottom: -2, cursor: "nesw-resize" },
  se: { right: -2, bottom: -2, cursor: "nwse-resize" },
};

export function CropBox({ src, alt, box, onChange, maxHeight = 260 }: { src: string; alt: string; box: Box; onChange: (b: Box, done: boolean | "now") => void; maxHeight?: number }) {
  const stage = useRef<HTMLDivElement>(null);
  const drag = useRef<{ id: number; mode: Mode; x: number; y: number; w: number; h: number; b: Box; moved: boolean } | null>(null);
  const [said, setSaid] = useState("");
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setSaid(boxText(box)), 400);
    return () => clearTimeout(t);
  }, [box]);

  const down = (e: PointerEvent<HTMLDivElement>) => {
    const r = stage.current?.getBoundingClientRect();
    if (!r?.width || e.button > 0) return;
    e.preventDefault();
    e.currentTarget.focus({ preventScroll: true });
    const mode = ((e.target as HTMLElement).dataset.h as Mode | undefined) ?? "move";
    drag.current = { id: e.pointerId, mode, x: e.clientX, y: e.clientY, w: r.width, h: r.height, b: box, moved: false };
    try { e.currentTarget.setPointerCapture(e.pointerId); } catch { /* synthetic events */ }
  };
  const move = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    d.moved = true;
    onChange(movedBox(d.b, d.mode, (e.clientX - d.x) / d.w, (e.clientY - d.y) / d.h), false);
  };
  const up = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    drag.current = null;
    if (d.moved) onChange(box, true);
  };
  const key = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === "Enter") { e.preventDefault(); onChange(box, "now"); return; }
    const dx = e.key === "ArrowRight" ? STEP : e.key === "ArrowLeft" ? -STEP : 0;
    const dy = e.key === "ArrowDown" ? STEP : e.key === "ArrowUp" ? -STEP : 0;
    if (!dx && !dy) return;
    e.preventDefault();
    onChange(movedBox(box, e.shiftKey ? "se" : "move", dx, dy), true);
  };

  return (
    <div ref={stage} data-testid="crop-stage" style={{ position: "relative", display: "inline-block", maxWidth: "100%", lineHeight: 0, overflow: "hidden", borderRadius: 8 }}>
      <img src={src} alt={alt} draggable={false} style={{ display: "block", maxWidth: "100%", maxHeight, userSelect: "none" }} />
      <div
        role="slider"
        tabIndex={0}
        aria-label="Search area"
        aria-describedby="lookalike-admin-crop-hint"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round((box.x + box.w / 2) * 100)}
        aria-valuetext={boxText(box)}
        data-testid="crop-box"
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
        onKeyDown={key}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        style={{
          position: "absolute", left: `${box.x * 100}%`, top: `${box.y * 100}%`, width: `${box.w * 100}%`, height: `${box.h * 100}%`,
          cursor: "move", touchAction: "none", border: "2px solid #fff", boxShadow: "0 0 0 100vmax rgba(0,0,0,.4)",
          outline: focused ? "3px solid var(--p-color-border-focus, #005bd3)" : "1px solid rgba(0,0,0,.6)", outlineOffset: focused ? 1 : 0,
        }}
      >
        {(Object.keys(CORNER) as (keyof typeof CORNER)[]).map((c) => (
          <span key={c} data-h={c} aria-hidden="true" style={{ ...HANDLE, ...CORNER[c] }}>
            <span data-h={c} style={{ position: "absolute", width: 14, height: 14, background: "#fff", border: "2px solid rgba(0,0,0,.75)", borderRadius: 2, [c.includes("n") ? "top" : "bottom"]: 0, [c.includes("w") ? "left" : "right"]: 0 }} />
          </span>
        ))}
      </div>
      <span id="lookalike-admin-crop-hint" style={{ position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" }}>
        Drag the box or its corners to frame the product. Arrow keys move it, Shift with arrow keys resizes it, Enter searches.
      </span>
      <span aria-live="polite" style={{ position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" }}>{said}</span>
    </div>
  );
}
