/**
 * A small Prometheus registry. Label names are a closed set — model, provider, status — so no
 * account, key or address can ever become a label (Policy §11: non-identifying trends only).
 */
type LabelName = "model" | "provider" | "status";
type Labels = Partial<Record<LabelName, string>>;

interface Series {
  labels: Labels;
  value: number;
  buckets?: number[];
  sum?: number;
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  bounds?: readonly number[];
  series: Map<string, Series>;
  /** A sampled family: one unlabelled value read at each scrape. */
  read?: () => number;
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}
export interface Gauge {
  set(value: number, labels?: Labels): void;
}
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

export interface Registry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  histogram(name: string, help: string, bounds: readonly number[]): Histogram;
  /** A value the process already keeps (memory, CPU time…), read when scraped, so it is there before any traffic. */
  sampled(name: string, help: string, type: "counter" | "gauge", read: () => number): void;
  render(): string;
}

/**
 * Series per metric at most. Label values come from configuration (model and provider ids) and
 * HTTP statuses, so this is a backstop: past it new label sets share one `overflow` series and
 * `/metrics` stays bounded whatever callers send.
 */
export const MAX_SERIES = 2_000;
const OVERFLOW = "overflow";

const keyOf = (labels: Labels) => `${labels.model ?? ""}\u0000${labels.provider ?? ""}\u0000${labels.status ?? ""}`;
const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).filter(([, v]) => v !== undefined) as [string, string][];
  if (extra) pairs.push(extra);
  return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
}

export function createRegistry(): Registry {
  const families: Family[] = [];
  const family = (
    name: string,
    help: string,
    type: Family["type"],
    bounds?: readonly number[],
    read?: () => number,
  ) => {
    const f: Family = { name, help, type, bounds, series: new Map(), read };
    families.push(f);
    return f;
  };
  const seriesOf = (f: Family, labels: Labels): Series => {
    let k = keyOf(labels);
    let s = f.series.get(k);
    if (!s && f.series.size >= MAX_SERIES) {
      labels = Object.fromEntries(Object.keys(labels).map((name) => [name, OVERFLOW]));
      k = keyOf(labels);
      s = f.series.get(k);
    }
    if (!s) {
      s = { labels: { ...labels }, value: 0, ...(f.bounds ? { buckets: f.bounds.map(() => 0), sum: 0 } : {}) };
      f.series.set(k, s);
    }
    return s;
  };

  return {
    counter(name, help) {
      const f = family(name, help, "counter");
      return { inc: (labels = {}, by = 1) => void (seriesOf(f, labels).value += by) };
    },
    gauge(name, help) {
      const f = family(name, help, "gauge");
      return { set: (value, labels = {}) => void (seriesOf(f, labels).value = value) };
    },
    histogram(name, help, bounds) {
      const f = family(name, help, "histogram", bounds);
      return {
        observe(value, labels = {}) {
          const s = seriesOf(f, labels);
          s.value++;
          s.sum! += value;
          bounds.forEach((b, i) => {
            if (value <= b) s.buckets![i]!++;
          });
        },
      };
    },
    sampled(name, help, type, read) {
      family(name, help, type, undefined, read);
    },
    render() {
      const lines: string[] = [];
      for (const f of families) {
        lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
        if (f.read) lines.push(`${f.name} ${f.read()}`);
        for (const s of f.series.values()) {
          if (f.type !== "histogram") {
            lines.push(`${f.name}${labelText(s.labels)} ${s.value}`);
            continue;
          }
          for (const [i, b] of f.bounds!.entries())
            lines.push(`${f.name}_bucket${labelText(s.labels, ["le", String(b)])} ${s.buckets![i]}`);
          lines.push(`${f.name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.value}`);
          lines.push(
            `${f.name}_sum${labelText(s.labels)} ${s.sum}`,
            `${f.name}_count${labelText(s.labels)} ${s.value}`,
          );
        }
      }
      return lines.join("\n") + "\n";
    },
  };
}
