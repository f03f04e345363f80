import { describe, expect, test } from "bun:test";
import { createRegistry } from "../../src/metrics/registry";

/** A strict reader of the Prometheus text format (0.0.4): every sample line must parse. */
export function parsePrometheus(text: string) {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") types.set(meta[2]!, meta[3]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return { samples, types };
}

describe("§11 non-identifying metrics registry", () => {
  test("counters, gauges and histograms render as valid Prometheus text", () => {
    const r = createRegistry();
    const c = r.counter("kriora_requests_total", "Requests");
    const g = r.gauge("kriora_queue_depth", "Queue depth");
    const h = r.histogram("kriora_latency_seconds", "Latency", [0.01, 0.1, 1]);
    c.inc({ model: "m", provider: "p", status: "200" });
    c.inc({ model: "m", provider: "p", status: "200" }, 2);
    c.inc({ model: 'we"ird\\', provider: "p", status: "500" });
    g.set(7);
    h.observe(0.05, { model: "m" });
    h.observe(5, { model: "m" });
    const { samples, types } = parsePrometheus(r.render());
    expect(types.get("kriora_latency_seconds")).toBe("histogram");
    expect(samples.find((s) => s.name === "kriora_requests_total" && s.labels.status === "200")?.value).toBe(3);
    expect(samples.find((s) => s.name === "kriora_requests_total" && s.labels.status === "500")?.labels.model).toBe('we\\"ird\\\\');
    expect(samples.find((s) => s.name === "kriora_queue_depth")?.value).toBe(7);
    const buckets = samples.filter((s) => s.name === "kriora_latency_seconds_bucket").map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([["0.01", 0], ["0.1", 1], ["1", 1], ["+Inf", 2]]);
    expect(samples.find((s) => s.name === "kriora_latency_seconds_count")?.value).toBe(2);
  });
});
