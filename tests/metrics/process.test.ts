import { describe, expect, test } from "bun:test";
import { parsePrometheus } from "../helpers/prometheus";
import { serverPerTest } from "../helpers/serverPerTest";

const serve = serverPerTest();

describe("§11 non-identifying metrics: the process's own health is there from the first scrape", () => {
  test("before any other request, /metrics has memory, CPU time and start time, with no labels at all", async () => {
    const { url } = await serve();
    const { samples, types } = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
    const value = (name: string) => samples.find((s) => s.name === name && Object.keys(s.labels).length === 0)?.value;
    expect(value("process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    expect(value("nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(value("process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(types.get("process_cpu_seconds_total")).toBe("counter");
    const started = value("process_start_time_seconds")!;
    expect(started).toBeLessThanOrEqual(Date.now() / 1000);
    expect(started).toBeGreaterThan(Date.now() / 1000 - 3600);
    // No traffic yet: the only samples are the process's (no model, provider or status series).
    expect(samples.filter((s) => Object.keys(s.labels).length > 0)).toEqual([]);
  });

  test("the values are read at each scrape: CPU time never goes down and keeps counting", async () => {
    const { url } = await serve();
    const cpu = async () =>
      parsePrometheus(await (await fetch(`${url}/metrics`)).text()).samples.find(
        (s) => s.name === "process_cpu_seconds_total",
      )!.value;
    const first = await cpu();
    for (let spin = Date.now(); Date.now() - spin < 50; ) Math.sqrt(spin);
    expect(await cpu()).toBeGreaterThan(first);
  });
});
