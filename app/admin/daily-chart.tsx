/** A small inline-SVG chart of daily impressions (bars) and clicks (line); no chart library. */
import type { DayPoint } from "../analytics/analytics.server";

const W = 720;
const H = 220;
const PAD = { top: 12, right: 12, bottom: 28, left: 44 };

function niceMax(v: number): number {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export function DailyChart({ series }: { series: DayPoint[] }) {
  const max = niceMax(Math.max(1, ...series.map((d) => Math.max(d.impressions, d.clicks))));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const step = iw / Math.max(1, series.length);
  const y = (v: number) => PAD.top + ih - (v / max) * ih;
  const x = (i: number) => PAD.left + i * step + step / 2;
  const barW = Math.max(2, step * 0.6);
  const clickPath = series.map((d, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(d.clicks).toFixed(1)}`).join("");
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f));
  const labelEvery = Math.ceil(series.length / 8);
  const total = series.reduce((s, d) => s + d.impressions + d.clicks, 0);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Impressions and clicks per day over ${series.length} days`} style={{ display: "block" }}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#e3e3e3" />
          <text x={PAD.left - 6} y={y(t) + 4} fontSize="11" textAnchor="end" fill="#616161">{t.toLocaleString()}</text>
        </g>
      ))}
      {series.map((d, i) => (
        <rect key={d.day} x={x(i) - barW / 2} y={y(d.impressions)} width={barW} height={Math.max(0, PAD.top + ih - y(d.impressions))} rx="2" fill="#a4c8f0">
          <title>{`${d.day}: ${d.impressions} impressions, ${d.clicks} clicks, ${d.photoSearches} photo searches`}</title>
        </rect>
      ))}
      {total > 0 ? <path d={clickPath} fill="none" stroke="#2c6ecb" strokeWidth="2" /> : null}
      {series.map((d, i) => (i % labelEvery === 0 ? <text key={d.day} x={x(i)} y={H - 8} fontSize="11" textAnchor="middle" fill="#616161">{d.day.slice(5)}</text> : null))}
      {total === 0 ? <text x={W / 2} y={H / 2} textAnchor="middle" fontSize="13" fill="#8a8a8a">No storefront activity yet</text> : null}
    </svg>
  );
}
