// JobCard's messages (sfapi_jupyter/widgets/job_card.py): the small state is in traits;
// output lines and array tasks travel as messages.

import type { Append, Follow, SnapshotRequest, StreamSnapshot } from "../lib/protocol";

/** One task of a job array, as sacct reports it. */
export interface TaskRow {
  jobid: string;
  task: string;
  state: string;
  exit_code: number | null;
  elapsed_s: number | null;
  nodelist: string;
  reason: string;
}

export type ToView =
  | { type: "snapshot"; streams?: Record<string, StreamSnapshot>; tasks?: TaskRow[] }
  | Append
  | { type: "tasks"; tasks: TaskRow[] };

export type FromView =
  | SnapshotRequest
  | { type: "cancel" }
  | Follow
  | { type: "task"; jobid: string }
  | { type: "resubmit" };
