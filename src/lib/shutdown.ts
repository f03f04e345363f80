/**
 * The moment a stopping server gives up waiting: requests still open when the shutdown grace
 * period ends are told so through `signal` and close themselves with a final error.
 */
export interface Shutdown {
  readonly signal: AbortSignal;
  /** The grace period is over. */
  cut(): void;
}

export function createShutdown(): Shutdown {
  const controller = new AbortController();
  return { signal: controller.signal, cut: () => controller.abort() };
}
