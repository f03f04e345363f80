/** The body of the next answers: its content type and its chunks, produced as the gateway reads them. */
export interface Script {
  contentType: string;
  chunks: () => Iterator<Uint8Array | string>;
}

export interface ScriptedUpstream {
  url: string;
  /** Every request answers with this, whatever its path or model. */
  script: Script;
  /** Bytes produced so far. */
  produced: number;
  stop(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * A provider that says exactly what a test scripts, byte for byte, pulled lazily (so a gigantic
 * body never sits in this process's memory): for answers the well-behaved fake upstream never gives.
 */
export function startScriptedUpstream(script: Script): ScriptedUpstream {
  const upstream: ScriptedUpstream = { url: "", script, produced: 0, stop: () => server.stop(true) };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      await req.arrayBuffer();
      const chunks = upstream.script.chunks();
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(ctl) {
            const next = chunks.next();
            if (next.done) return ctl.close();
            const bytes = typeof next.value === "string" ? encoder.encode(next.value) : next.value;
            upstream.produced += bytes.length;
            ctl.enqueue(bytes);
          },
        }),
        { headers: { "content-type": upstream.script.contentType } },
      );
    },
  });
  upstream.url = `http://127.0.0.1:${server.port}`;
  return upstream;
}
