// The queue's pure logic: how a row is named, sorted and filtered, and the order of the table
// (an array is one group row where its first task sorts, then its tasks if expanded).

import { stateOrder } from "../lib/states";
import { liveSeconds } from "../lib/time";
import type { JobRow, ToView } from "./protocol";

/** A row and when (kernel clock, ms) its elapsed time was measured. */
export type Row = JobRow & { at_ms: number };
export type SortKey = "jobid" | "name" | "state" | "elapsed" | "nodes" | "submit";

export const COLUMNS: [SortKey | null, string][] = [
  [null, ""],
  ["jobid", "Job"],
  ["name", "Name"],
  ["state", "State"],
  ["elapsed", "Elapsed"],
  ["nodes", "Nodes"],
  ["submit", "Submitted"],
  [null, "Reason / nodes"],
];

/** "123_4" for task 4 of array 123, else the job id. */
export const displayId = (r: JobRow) =>
  r.array_job_id && r.array_task_id ? `${r.array_job_id}_${r.array_task_id}` : r.jobid;

/** Seconds run so far: a running job's count goes on between updates. */
export const elapsedOf = (r: Row, nowMs: number = Date.now()) =>
  liveSeconds(r.elapsed_s, r.at_ms, r.state === "RUNNING" && !r.done, nowMs);

export function sortValue(r: Row, key: SortKey): number | string {
  switch (key) {
    case "jobid":
      return (Number.parseInt(r.array_job_id || r.jobid, 10) || 0) * 1e5 + (Number.parseInt(r.array_task_id, 10) || 0);
    case "name":
      return r.name.toLowerCase();
    case "state":
      return stateOrder(r.state, "");
    case "elapsed":
      return elapsedOf(r) ?? -1;
    case "nodes":
      return r.nodes ?? -1;
    case "submit":
      return r.submit_time;
  }
}

/** Compare by `key` in direction `dir` (1 or -1), ties by job id. */
export function compareBy(key: SortKey, dir: number): (a: Row, b: Row) => number {
  return (a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    return (va < vb ? -1 : va > vb ? 1 : 0) * dir || a.jobid.localeCompare(b.jobid);
  };
}

/** Whether a row passes the filters: its state is `state` (any if ""), and its name or id
 *  contains `needle`. */
export function matches(r: Row, state: string, needle: string): boolean {
  const wanted = needle.trim().toLowerCase();
  return (
    (!state || r.state === state) && (!wanted || r.name.toLowerCase().includes(wanted) || displayId(r).includes(wanted))
  );
}

export type Line = { kind: "row"; row: Row; task: boolean } | { kind: "group"; arrayId: string; tasks: Row[] };

/** The active rows (sorted) as table lines: a plain job as itself; an array as one group line
 *  (where its first task sorts, if any task passes `visible`), then its visible tasks in task
 *  order if `expanded` has it. */
export function tableLines(active: Row[], visible: (r: Row) => boolean, expanded: ReadonlySet<string>): Line[] {
  const lines: Line[] = [];
  const seen = new Set<string>();
  for (const r of active) {
    if (!r.array_job_id) {
      if (visible(r)) lines.push({ kind: "row", row: r, task: false });
      continue;
    }
    if (seen.has(r.array_job_id)) continue;
    seen.add(r.array_job_id);
    const tasks = active
      .filter((t) => t.array_job_id === r.array_job_id)
      .sort((a, b) => (Number.parseInt(a.array_task_id, 10) || 0) - (Number.parseInt(b.array_task_id, 10) || 0));
    const shown = tasks.filter(visible);
    if (!shown.length) continue;
    lines.push({ kind: "group", arrayId: r.array_job_id, tasks });
    if (expanded.has(r.array_job_id)) for (const t of shown) lines.push({ kind: "row", row: t, task: true });
  }
  return lines;
}

/** Apply one of the kernel's messages to `rows` (by job id). A job whose state changed is no
 *  longer being cancelled (`cancelling`). Returns the ids removed for good, or null if `msg`
 *  is not a change of rows. */
export function applyMessage(rows: Map<string, Row>, msg: ToView, cancelling: Set<string>): string[] | null {
  if (msg.type === "snapshot") {
    rows.clear();
    for (const r of msg.rows ?? []) rows.set(r.jobid, { ...r, at_ms: msg.at_ms ?? Date.now() });
  } else if (msg.type === "upsert") {
    for (const r of msg.rows) {
      const before = rows.get(r.jobid);
      if (before && before.state !== r.state) cancelling.delete(r.jobid);
      rows.set(r.jobid, { ...r, at_ms: msg.at_ms });
    }
  } else if (msg.type === "done") {
    for (const id of msg.jobids) {
      const r = rows.get(id);
      if (r) rows.set(id, { ...r, done: true });
    }
  } else if (msg.type === "remove") {
    for (const id of msg.jobids) rows.delete(id);
    return msg.jobids;
  } else {
    return null;
  }
  return [];
}
