import { describe, expect, test } from "bun:test";
import { createRegistry, MAX_SERIES } from "../../src/metrics/registry";
import { parsePrometheus } from "../helpers/prometheus";

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
    expect(samples.find((s) => s.name === "kriora_requests_total" && s.labels.status === "500")?.labels.model).toBe(
      'we\\"ird\\\\',
    );
    expect(samples.find((s) => s.name === "kriora_queue_depth")?.value).toBe(7);
    const buckets = samples
      .filter((s) => s.name === "kriora_latency_seconds_bucket")
      .map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([
      ["0.01", 0],
      ["0.1", 1],
      ["1", 1],
      ["+Inf", 2],
    ]);
    expect(samples.find((s) => s.name === "kriora_latency_seconds_count")?.value).toBe(2);
  });

  test("every metric is bounded: label sets past MAX_SERIES share one overflow series", () => {
    const r = createRegistry();
    const c = r.counter("kriora_requests_total", "Requests");
    for (let i = 0; i < MAX_SERIES + 500; i++) c.inc({ model: `m${i}`, status: "200" });
    const samples = parsePrometheus(r.render()).samples;
    expect(samples.length).toBe(MAX_SERIES + 1);
    expect(samples.find((s) => s.labels.model === "overflow")).toMatchObject({
      value: 500,
      labels: { status: "overflow" },
    });
    expect(samples.find((s) => s.labels.model === "m0")?.value).toBe(1);
  });
});
