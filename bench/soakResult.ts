import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where `npm run bench:soak` leaves its last result, for `npm run bench` to show. */
export const SOAK_FILE = join(import.meta.dir, "soak.json");

interface Reading {
  rss: number;
  fds: number;
  /** The open descriptors by kind (sockets by peer, files, pipes); absent in results of older soaks. */
  census?: Record<string, number>;
}

/** `to the upstream 12, from clients 0, files 5, …` */
export const censusText = (census: Record<string, number> | undefined): string =>
  census
    ? Object.entries(census)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, n]) => `${kind} ${n}`)
        .join(", ")
    : "—";

export interface SoakResult {
  date: string;
  /** The commit the soak ran on (`git rev-parse --short HEAD`). */
  commit: string;
  minutes: number;
  warmupMinutes: number;
  idle: Reading;
  /** After the warm-up, the load paused until the gateway was idle. */
  warm: Reading;
  /** At the end, the load stopped. */
  end: Reading;
  counts: {
    json: number;
    jsonFailed: number;
    streams: number;
    streamsFailed: number;
    abandoned: number;
    slowReaders: number;
  };
  /** RSS grew ≤ 5% after the warm-up, no descriptor growth, no failed request. */
  met: boolean;
}

export function readSoak(): SoakResult | null {
  return existsSync(SOAK_FILE) ? (JSON.parse(readFileSync(SOAK_FILE, "utf8")) as SoakResult) : null;
}
