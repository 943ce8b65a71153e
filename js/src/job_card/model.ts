// JobCard's traits (sfapi_jupyter/widgets/job_card.py) and what its sections share.

import type { View } from "../lib/view";
import type { FrameInfo, FromView, ToView } from "./protocol";

export interface Step {
  state: string;
  time: string;
  seen: string;
}

export interface Clock {
  queued_s?: number | null;
  running_s?: number | null;
  ticking?: "queued" | "running" | null;
  at_ms?: number;
}

/** What the job cost: JobCost.to_json() (docs/job-cost.md); empty until it has ended. */
export interface Cost {
  state?: string;
  elapsed?: number | null;
  peak_memory?: number | null;
  memory?: number | null;
  memory_fraction?: number | null;
  cpu_efficiency?: number | null;
  node_hours?: number | null;
  charged_node_hours?: number | null;
  qos_factor?: number | null;
  out_of_memory?: boolean;
  advice?: string | null;
  notes?: string[];
}

export interface Model {
  jobid: string;
  machine: string;
  name: string;
  array: boolean;
  state: string;
  reason: string;
  exit_code: number | null;
  exit_signal: number | null;
  nodes: number | null;
  nodelist: string;
  partition: string;
  submit_time: string;
  start_time: string;
  end_time: string;
  clock: Clock;
  timeline: Step[];
  array_counts: Record<string, number>;
  stdout_path: string;
  stderr_path: string;
  message: string;
  message_level: string;
  can_cancel: boolean;
  cancel_requested: boolean;
  max_lines: number;
  last_output: Record<string, string[]>;
  time_limit_s: number | null;
  cost: Cost;
  task_shown: string;
  can_resubmit: boolean;
  resubmitted: string;
  watch_pattern: string;
  watch_dir: string;
  frames_seen: number;
  max_frames: number;
  frames_note: string;
  frames_note_level: string;
  /** The last frame as saved with the notebook; `src` is a data URL. */
  last_frame: Partial<FrameInfo> & { src?: string };
}

export type CardView = View<Model, ToView, FromView>;

/** Whether the kernel answered: a saved notebook opened without it shows the job as saved,
 *  with no live clock and no cancel button. */
export interface Liveness {
  kernelGone: boolean;
}
