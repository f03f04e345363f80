import { readFileSync } from "node:fs";
import os from "node:os";
import { cpuTicks } from "./procs";

export interface Machine {
  cores: number;
  cpu: string;
  kernel: string;
  memoryGb: number;
  bun: string;
}

export function machine(): Machine {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  return {
    cores: os.cpus().length,
    cpu,
    kernel: `${os.type()} ${os.release()}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    bun: Bun.version,
  };
}

/** Busy CPU of the whole machine, in clock ticks (/proc/stat: all but idle and iowait). */
function machineBusyTicks(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return user! + nice! + system! + irq! + softirq! + steal!;
}

const ownTicks = () => cpuTicks("self", true);

/**
 * How busy the machine was with work that was not the bench's own (others' tests, builds):
 * measured from the start to the point `share()` is called, once every child has exited.
 */
export function foreignCpu(): { share(): number } {
  const busy0 = machineBusyTicks();
  const own0 = ownTicks();
  const started = performance.now();
  return {
    share() {
      const ticks = machineBusyTicks() - busy0 - (ownTicks() - own0);
      const capacity = ((performance.now() - started) / 1000) * 100 * os.cpus().length;
      return Math.max(0, ticks / capacity);
    },
  };
}
