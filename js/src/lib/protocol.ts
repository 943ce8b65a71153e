// The custom-message protocol between a widget's Python side and its views.
// Python → JS carries diffs (append, tasks, upsert, done, remove) and, on request, a full
// snapshot; JS → Python carries "snapshot?" and user actions (cancel, follow).

import type { AnyModel } from "@anywidget/types";

export interface StreamSnapshot {
  lines: string[];
  partial: string;
  dropped?: number;
}

export interface TaskRow {
  jobid: string;
  task: string;
  state: string;
  exit_code: number | null;
  elapsed_s: number | null;
  nodelist: string;
  reason: string;
}

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

export type Incoming =
  | { type: "append"; stream: string; lines: string[]; partial: string }
  | { type: "snapshot"; streams?: Record<string, StreamSnapshot>; tasks?: TaskRow[]; rows?: JobRow[]; at_ms?: number }
  | { type: "tasks"; tasks: TaskRow[] }
  | { type: "upsert"; rows: JobRow[]; at_ms: number }
  | { type: "done"; jobids: string[] }
  | { type: "remove"; jobids: string[] };

export type Outgoing =
  | { type: "snapshot?" }
  | { type: "cancel"; jobids?: string[] }
  | { type: "follow"; value: boolean };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Model = AnyModel<any>;

/** Listen to messages from Python; returns the unsubscribe for the render cleanup. */
export function subscribe(model: Model, handler: (msg: Incoming) => void): () => void {
  const callback = (msg: unknown) => {
    if (msg && typeof msg === "object" && "type" in msg) handler(msg as Incoming);
  };
  model.on("msg:custom", callback);
  return () => model.off("msg:custom", callback);
}

export function send(model: Model, msg: Outgoing): void {
  model.send(msg);
}

/**
 * Ask Python for the full state. If no answer comes (a saved notebook opened without a
 * kernel), `onSilence` runs so the view can say so and show what was saved.
 */
export function requestSnapshot(model: Model, onSilence: () => void, waitMs = 2500): {
  answered: () => void;
  cancel: () => void;
} {
  let done = false;
  const timer = window.setTimeout(() => {
    if (!done) onSilence();
  }, waitMs);
  try {
    send(model, { type: "snapshot?" });
  } catch {
    // no comm: the timer reports it
  }
  return {
    answered() {
      done = true;
      window.clearTimeout(timer);
    },
    cancel() {
      window.clearTimeout(timer);
    },
  };
}
