// A queue row for the tests (rows.test.ts, queue_table.test.ts): a running one-node job of
// elvis's unless `more` says otherwise.

import type { JobRow } from "./protocol";

export const job = (jobid: string, more: Partial<JobRow> = {}): JobRow => ({
  jobid,
  name: `job ${jobid}`,
  user: "elvis",
  state: "RUNNING",
  reason: "",
  partition: "regular",
  qos: "regular",
  nodes: 1,
  nodelist: "nid001",
  submit_time: "2026-05-02T18:00:00",
  start_time: "",
  end_time: "",
  elapsed_s: 10,
  time_limit_s: null,
  exit_code: null,
  array_job_id: "",
  array_task_id: "",
  done: false,
  ...more,
});
