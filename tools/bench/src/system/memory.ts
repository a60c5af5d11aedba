import { readFileSync } from 'node:fs';
import { procStat } from '../cpu.js';

/** One service's memory and CPU as the bench saw it. */
export interface ServiceUsage {
  readonly name: string;
  /** Peak resident set size in MB: the kernel's high-water mark (VmHWM) when the pid is known, else the largest /metrics sample. */
  peakRssMb: number;
  /** CPU seconds used during the measured phases (pid known only). */
  cpuSeconds?: number;
  source: 'proc' | 'metrics';
}

/** VmHWM (peak RSS) of a pid in MB, from /proc; undefined when unreadable. */
export function procPeakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a pid in seconds. */
export function procCpuSeconds(pid: number): number | undefined {
  const stat = procStat(pid);
  return stat === undefined ? undefined : stat.ticks / 100;
}

/**
 * Write system calls a process has made (`syscw` of /proc/<pid>/io: socket and file writes).
 * On these services nearly every one is a round trip's request or a NATS flush, so their count per
 * order says how chatty the system is. Undefined without /proc or permission.
 */
export function procWriteCalls(pid: number): number | undefined {
  try {
    const m = /^syscw:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `process_resident_memory_bytes` from a Prometheus text page, in MB. */
export function rssFromMetrics(text: string): number | undefined {
  const m = /^process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(text);
  return m ? Number(m[1]) / 1024 / 1024 : undefined;
}

/**
 * Samples each service's memory every `intervalMs`: from /proc when its pid is known (VmHWM is
 * exact, samples only confirm the process is alive), else from its /metrics page.
 */
export function sampleServices(services: readonly { name: string; pid?: number; metricsUrl: string }[], intervalMs = 1000) {
  const usage = new Map<string, ServiceUsage>(
    services.map((s) => [s.name, { name: s.name, peakRssMb: 0, source: s.pid ? 'proc' : 'metrics' } satisfies ServiceUsage]),
  );
  const cpu0 = new Map(services.map((s) => [s.name, s.pid ? procCpuSeconds(s.pid) : undefined]));
  const sample = async () => {
    await Promise.all(
      services.map(async (s) => {
        const u = usage.get(s.name)!;
        const fromProc = s.pid ? procPeakRssMb(s.pid) : undefined;
        if (fromProc !== undefined) {
          u.peakRssMb = Math.max(u.peakRssMb, fromProc);
          return;
        }
        try {
          const res = await fetch(s.metricsUrl, { signal: AbortSignal.timeout(2000) });
          const mb = rssFromMetrics(await res.text());
          if (mb !== undefined) u.peakRssMb = Math.max(u.peakRssMb, mb);
        } catch {
          // a busy service may miss a sample
        }
      }),
    );
  };
  const timer = setInterval(() => void sample(), intervalMs);
  void sample();
  return {
    async stop(): Promise<ServiceUsage[]> {
      clearInterval(timer);
      await sample();
      for (const s of services) {
        const start = cpu0.get(s.name);
        const end = s.pid ? procCpuSeconds(s.pid) : undefined;
        if (start !== undefined && end !== undefined) usage.get(s.name)!.cpuSeconds = Math.round((end - start) * 10) / 10;
      }
      return [...usage.values()].map((u) => ({ ...u, peakRssMb: Math.round(u.peakRssMb) }));
    },
  };
}
