/**
 * CPU time of a server for the status-page benchmark, split into user and kernel time: serving a
 * cached body is mostly the kernel's TCP work, which any server pays, plus the server's own work
 * in user space, which is where servers differ.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuTime {
  /** Seconds in user space and in the kernel; NaN off Linux. */
  user: number;
  system: number;
}

/** One /proc/<pid>/stat: parent pid, and utime and stime in seconds (USER_HZ is 100 on Linux). */
function stat(pid: string): { ppid: number; user: number; system: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited meanwhile, or not Linux
  }
  // After "pid (comm) ": state, ppid, …, utime (14th field overall), stime (15th).
  const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
  return { ppid: Number(fields[1]), user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/**
 * CPU time of a process and its children (nginx's master and its workers: the workers do the
 * serving, and the master's counters include them only once they have exited).
 */
export function treeCpuTime(pid: number | undefined): CpuTime {
  const none = { user: Number.NaN, system: Number.NaN };
  if (pid === undefined) return none;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return none;
  }
  const total = { user: 0, system: 0 };
  let found = false;
  for (const entry of entries) {
    const s = stat(entry);
    if (!s || (Number(entry) !== pid && s.ppid !== pid)) continue;
    found = true;
    total.user += s.user;
    total.system += s.system;
  }
  return found ? total : none;
}
