import { readFileSync } from 'node:fs';

// Who used the CPU during a scenario: the server process, this process (the load generator), and
// everything else (PostgreSQL, and any other work on the machine). On a shared machine the last
// one tells a disturbed run from a slow server. Linux only (/proc); elsewhere nothing is reported.

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuShare {
  /** Cores busy on the whole machine, on average over the scenario (of `cores`). */
  machineCores: number;
  serverCores: number;
  loadGeneratorCores: number;
  /** PostgreSQL, the hypervisor's steal, and any other process. */
  otherCores: number;
  /** The server's CPU time per request: its cost, whatever the contention. */
  serverCpuMsPerRequest?: number;
}

interface Snapshot {
  at: bigint;
  busyTicks: number;
  serverTicks: number;
  selfMicros: number;
}

function machineBusyTicks(): number {
  // cpu  user nice system idle iowait irq softirq steal ...
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  } catch {
    return 0;
  }
}

export function cpuSnapshot(serverPid: number | undefined): Snapshot | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const u = process.cpuUsage();
    return { at: process.hrtime.bigint(), busyTicks: machineBusyTicks(), serverTicks: serverPid ? processTicks(serverPid) : 0, selfMicros: u.user + u.system };
  } catch {
    return undefined;
  }
}

export function cpuShareSince(start: Snapshot | undefined, serverPid: number | undefined, requests = 0): CpuShare | undefined {
  const end = cpuSnapshot(serverPid);
  if (!start || !end) return undefined;
  const seconds = Number(end.at - start.at) / 1e9;
  if (seconds <= 0) return undefined;
  const machine = (end.busyTicks - start.busyTicks) / TICKS_PER_SECOND / seconds;
  const server = (end.serverTicks - start.serverTicks) / TICKS_PER_SECOND / seconds;
  const self = (end.selfMicros - start.selfMicros) / 1e6 / seconds;
  const r = (n: number) => Math.round(n * 100) / 100;
  const serverCpuMs = ((end.serverTicks - start.serverTicks) / TICKS_PER_SECOND) * 1000;
  return {
    machineCores: r(machine),
    serverCores: r(server),
    loadGeneratorCores: r(self),
    otherCores: r(Math.max(0, machine - server - self)),
    ...(serverPid && requests > 0 ? { serverCpuMsPerRequest: r(serverCpuMs / requests) } : {}),
  };
}
