// JobCard's messages (sfapi_jupyter/widgets/job_card.py): the small state is in traits;
// output lines, array tasks and frames (with their images as binary buffers) travel as messages.

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

/** One frame of `--watch` (FramesMixin.add_frame): its image is the message's buffer (in a
 *  snapshot, buffer number `buffer`); `error` says why a file cannot be shown. */
export interface FrameInfo {
  index: number;
  name: string;
  path: string;
  label: string;
  mime: string;
  note: string;
  error: string;
  size: number;
  buffer?: number | null;
}

export type ToView =
  | { type: "snapshot"; streams?: Record<string, StreamSnapshot>; tasks?: TaskRow[]; frames?: FrameInfo[] }
  | Append
  | { type: "tasks"; tasks: TaskRow[] }
  | { type: "frame"; frame: FrameInfo; first: number };

export type FromView =
  | SnapshotRequest
  | { type: "cancel" }
  | Follow
  | { type: "task"; jobid: string }
  | { type: "resubmit" };
