import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Series {
  label: string;
  values: number[];
  /** Drawn against the right-hand axis (e.g. dollars beside counts). */
  right?: boolean;
}

const COLOURS = ["#1d4ed8", "#b45309", "#047857", "#7c3aed"];

/**
 * One uPlot chart. `x` are UNIX seconds for a time axis, or positions of `categories` (drawn as
 * bars). The chart is an image to assistive technology; the table beside it carries the numbers.
 */
export function Chart({ title, x, series, categories }: { title: string; x: number[]; series: Series[]; categories?: string[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const bars = categories ? uPlot.paths.bars!({ size: [0.6, 64] }) : undefined;
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 240,
        scales: { x: { time: !categories }, usd: {} },
        axes: [
          categories ? { values: (_u, ticks) => ticks.map((t) => categories[t] ?? "") } : {},
          {},
          ...(series.some((s) => s.right) ? [{ scale: "usd", side: 1, grid: { show: false } }] : []),
        ],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length],
            fill: categories ? `${COLOURS[i % COLOURS.length]}55` : undefined,
            paths: bars,
            scale: s.right ? "usd" : undefined,
          })),
        ],
      },
      [x, ...series.map((s) => s.values)],
      el,
    );
    return () => plot.destroy();
  }, [x, series, categories]);
  return <div class="chart" ref={box} role="img" aria-label={title} />;
}
