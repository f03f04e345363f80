import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

interface Series {
  label: string;
  values: number[];
}

const COLOURS = ["#1d4ed8", "#b45309", "#047857", "#7c3aed"];

/**
 * One uPlot chart. `x` are UNIX seconds for a time axis, or positions of `categories` (drawn as
 * bars). The chart is an image to assistive technology; the table beside it carries the numbers.
 */
export function Chart(props: {
  title: string;
  x: number[];
  series: Series[];
  categories?: string[];
  range?: [number, number];
  format?: (n: number) => string;
}) {
  const { title, x, series, categories, range, format } = props;
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const bars = categories ? uPlot.paths.bars!({ size: [0.6, 64] }) : undefined;
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 240,
        scales: {
          x: categories
            ? { time: false, range: [-0.5, categories.length - 0.5] }
            : { time: true, ...(range ? { range } : {}) },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          categories ? { values: (_u, ticks) => ticks.map((t) => categories[t] ?? "") } : {},
          { size: 70, ...(format ? { values: (_u: uPlot, ticks: number[]) => ticks.map(format) } : {}) },
        ],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length],
            fill: categories ? `${COLOURS[i % COLOURS.length]}55` : undefined,
            paths: bars,
            points: { show: !categories, size: 6 },
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
