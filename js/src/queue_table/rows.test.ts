import { describe, expect, it } from "vitest";
import type { JobRow } from "./protocol";
import { applyMessage, compareBy, displayId, elapsedOf, matches, type Row, tableLines } from "./rows";
import { job as fixture } from "./testing";

/** A row measured at 1,000,000 ms on the kernel's clock. */
const job = (jobid: string, more: Partial<JobRow> = {}): Row => ({ ...fixture(jobid, more), at_ms: 1_000_000 });

describe("queue rows", () => {
  it("name array tasks as Slurm does", () => {
    expect(displayId(job("101", { array_job_id: "100", array_task_id: "1" }))).toBe("100_1");
    expect(displayId(job("7"))).toBe("7");
  });

  it("count a running job's elapsed time on between updates, not a done one's", () => {
    expect(elapsedOf(job("1"), 1_005_000)).toBe(15);
    expect(elapsedOf(job("1", { done: true }), 1_005_000)).toBe(10);
    expect(elapsedOf(job("1", { state: "PENDING" }), 1_005_000)).toBe(10);
  });

  it("sort by job id numerically (tasks after their array), newest first by default", () => {
    const rows = [job("9"), job("100"), job("101", { array_job_id: "100", array_task_id: "2" }), job("20")];
    expect(rows.sort(compareBy("jobid", -1)).map(displayId)).toEqual(["100_2", "100", "20", "9"]);
  });

  it("sort by state in the order of a job's life", () => {
    const rows = [job("1", { state: "COMPLETED" }), job("2", { state: "PENDING" }), job("3")];
    expect(rows.sort(compareBy("state", 1)).map((r) => r.state)).toEqual(["PENDING", "RUNNING", "COMPLETED"]);
  });

  it("filter by state and by a part of the name or id", () => {
    const r = job("4242", { name: "Train-Model", state: "PENDING" });
    expect(matches(r, "", "train")).toBe(true);
    expect(matches(r, "", "424")).toBe(true);
    expect(matches(r, "RUNNING", "")).toBe(false);
  });
});

describe("queue table lines", () => {
  const tasks = [
    job("12", { array_job_id: "10", array_task_id: "2" }),
    job("11", { array_job_id: "10", array_task_id: "1", state: "PENDING" }),
  ];

  it("show an array as one group where its first task sorts, its tasks in order when expanded", () => {
    const active = [job("20"), ...tasks, job("5")];
    const folded = tableLines(active, () => true, new Set());
    expect(folded.map((l) => (l.kind === "group" ? `group ${l.arrayId} (${l.tasks.length})` : l.row.jobid))).toEqual([
      "20",
      "group 10 (2)",
      "5",
    ]);
    const open = tableLines(active, () => true, new Set(["10"]));
    expect(open.map((l) => (l.kind === "group" ? "group" : `${l.row.jobid}${l.task ? " task" : ""}`))).toEqual([
      "20",
      "group",
      "11 task",
      "12 task",
      "5",
    ]);
  });

  it("drop a group none of whose tasks passes the filter", () => {
    expect(tableLines(tasks, (r) => r.state === "COMPLETED", new Set(["10"]))).toEqual([]);
  });
});

describe("the kernel's diffs", () => {
  it("upsert, mark done and remove rows; a new state ends 'cancelling'", () => {
    const rows = new Map<string, Row>();
    const cancelling = new Set(["1"]);
    applyMessage(rows, { type: "snapshot", rows: [job("1"), job("2")], at_ms: 5 }, cancelling);
    expect([...rows.keys()]).toEqual(["1", "2"]);
    applyMessage(rows, { type: "upsert", rows: [job("1", { state: "CANCELLED" })], at_ms: 9 }, cancelling);
    expect(rows.get("1")?.at_ms).toBe(9);
    expect(cancelling.size).toBe(0);
    applyMessage(rows, { type: "done", jobids: ["1"] }, cancelling);
    expect(rows.get("1")?.done).toBe(true);
    expect(applyMessage(rows, { type: "remove", jobids: ["2"] }, cancelling)).toEqual(["2"]);
    expect([...rows.keys()]).toEqual(["1"]);
  });
});
