import { SpanKind, SpanStatusCode, type Attributes } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

export interface SpanExport {
  /** One finished server span: times in epoch milliseconds. */
  span(name: string, attributes: Attributes, start: number, end: number, failed: boolean): void;
  shutdown(): Promise<void>;
}

/**
 * The official OpenTelemetry SDK with its OTLP/HTTP exporter, batched. Loaded with `import()`
 * only when `telemetry.otlp_traces_url` is set, so a gateway without tracing never loads it.
 */
export function startOtlp(url: string, serviceName: string, version: string): SpanExport {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName, "service.version": version }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 1_000 })],
  });
  const tracer = provider.getTracer("kriora", version);
  return {
    span(name, attributes, start, end, failed) {
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: start, attributes });
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(end);
    },
    shutdown: () => provider.shutdown(),
  };
}
