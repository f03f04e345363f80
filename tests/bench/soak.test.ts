import { describe, expect, test } from "bun:test";
import { rssParts } from "../../bench/procs";
import { soakGoal } from "../../bench/report";
import type { SoakResult } from "../../bench/soakResult";

const soak = (over: Partial<SoakResult> = {}): SoakResult => ({
  date: "2026-12-01T20:00:00.000Z",
  commit: "abc1234",
  minutes: 20,
  warmupMinutes: 2,
  idle: { rss: 70e6, fds: 20 },
  warm: { rss: 100e6, fds: 24 },
  end: { rss: 102e6, fds: 24 },
  counts: { json: 1000, jsonFailed: 0, streams: 100, streamsFailed: 0, abandoned: 40, slowReaders: 40 },
  met: true,
  ...over,
});

describe("bench: the soak's goal row (issue 15)", () => {
  test("met by a 20-minute soak that met its own checks, with its growth, fds and commit shown", () => {
    const g = soakGoal(soak());
    expect(g.met).toBe(true);
    expect(g.measured).toContain("RSS +2.0%");
    expect(g.measured).toContain("fds +0");
    expect(g.measured).toContain("abc1234");
  });

  test("missed when it never ran, ran shorter than 20 minutes, or failed its checks", () => {
    expect(soakGoal(null).met).toBe(false);
    expect(soakGoal(null).measured).toContain("not run");
    expect(soakGoal(soak({ minutes: 5 })).met).toBe(false);
    expect(soakGoal(soak({ met: false, end: { rss: 120e6, fds: 30 } })).met).toBe(false);
  });
});

describe("bench: RSS split into a process's own memory and its executable's pages", () => {
  test("RssAnon + RssFile make up VmRSS (no shared memory here), and a gone process reads 0", () => {
    const x = rssParts(process.pid);
    expect(x.anon).toBeGreaterThan(0);
    expect(x.file).toBeGreaterThan(0);
    expect(Math.abs(x.anon + x.file - x.rss)).toBeLessThanOrEqual(1024 * 1024);
    expect(rssParts(2 ** 22 + 1)).toEqual({ rss: 0, anon: 0, file: 0 });
  });
});
