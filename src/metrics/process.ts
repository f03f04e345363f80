import type { Registry } from "./registry";

/**
 * The process's own health, in the names Prometheus client libraries use, so standard dashboards
 * work: memory, CPU time, start time, event-loop handles. Present from the first scrape, before any
 * request; no labels at all, so nothing about a person can appear here.
 */
export function registerProcessMetrics(r: Registry): void {
  const startSeconds = Math.round(performance.timeOrigin) / 1000;
  r.sampled(
    "process_start_time_seconds",
    "Start time of the process since the Unix epoch, in seconds.",
    "gauge",
    () => startSeconds,
  );
  r.sampled("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", "counter", () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  r.sampled("process_resident_memory_bytes", "Resident memory size, in bytes.", "gauge", () =>
    process.memoryUsage.rss(),
  );
  r.sampled(
    "nodejs_heap_size_used_bytes",
    "JavaScript heap in use, in bytes.",
    "gauge",
    () => process.memoryUsage().heapUsed,
  );
  r.sampled(
    "nodejs_heap_size_total_bytes",
    "JavaScript heap allocated, in bytes.",
    "gauge",
    () => process.memoryUsage().heapTotal,
  );
  r.sampled(
    "nodejs_external_memory_bytes",
    "Memory held outside the JavaScript heap (buffers), in bytes.",
    "gauge",
    () => process.memoryUsage().external,
  );
}
