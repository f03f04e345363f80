import { registerProcessMetrics } from "./process";
import { createRegistry, type Counter, type Gauge, type Histogram, type Registry } from "./registry";

/** The product's metrics. Labels: model, provider, status — never an account, key or address. */
export interface GatewayMetrics {
  registry: Registry;
  requests: Counter;
  latency: Histogram;
  inputTokens: Counter;
  outputTokens: Counter;
  upstreamErrors: Counter;
  limitsHit: Counter;
  writerQueueDepth: Gauge;
  writerFlushSeconds: Histogram;
  writerFailures: Counter;
}

const LATENCY_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const FLUSH_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export function createGatewayMetrics(): GatewayMetrics {
  const r = createRegistry();
  registerProcessMetrics(r);
  return {
    registry: r,
    requests: r.counter("kriora_requests_total", "Model API requests by model, provider and HTTP status."),
    latency: r.histogram(
      "kriora_request_duration_seconds",
      "Model API request duration, arrival to last byte.",
      LATENCY_BOUNDS,
    ),
    inputTokens: r.counter("kriora_input_tokens_total", "Input tokens by model and provider."),
    outputTokens: r.counter("kriora_output_tokens_total", "Output tokens by model and provider."),
    upstreamErrors: r.counter("kriora_upstream_errors_total", "Upstream failures by provider and status."),
    limitsHit: r.counter(
      "kriora_limits_hit_total",
      "Requests refused by a limit; status names the limit (rpm, tpm, concurrency, budget).",
    ),
    writerQueueDepth: r.gauge("kriora_usage_writer_queue_depth", "Usage rows waiting to be written."),
    writerFlushSeconds: r.histogram(
      "kriora_usage_writer_flush_seconds",
      "Duration of one usage-writer flush (one transaction).",
      FLUSH_BOUNDS,
    ),
    writerFailures: r.counter(
      "kriora_usage_writer_failures_total",
      "Usage-writer flushes that failed and were retried.",
    ),
  };
}
