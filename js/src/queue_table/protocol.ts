// QueueTable's messages (sfapi_jupyter/widgets/queue_table.py): rows travel as diffs, never
// as traits (a queue can hold thousands of jobs).

import type { SnapshotRequest } from "../lib/protocol";

/** One job of the queue (or one task of an array), as squeue/sacct report it. */
export interface JobRow {
  jobid: string;
  name: string;
  user: string;
  state: string;
  reason: string;
  partition: string;
  qos: string;
  nodes: number | null;
  nodelist: string;
  submit_time: string;
  start_time: string;
  end_time: string;
  elapsed_s: number | null;
  time_limit_s: number | null;
  exit_code: number | null;
  array_job_id: string;
  array_task_id: string;
  done: boolean;
}

export type ToView =
  | { type: "snapshot"; rows?: JobRow[]; at_ms?: number }
  | { type: "upsert"; rows: JobRow[]; at_ms: number }
  | { type: "done"; jobids: string[] }
  | { type: "remove"; jobids: string[] };

export type FromView = SnapshotRequest | { type: "cancel"; jobids: string[] };
