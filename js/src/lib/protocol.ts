// The custom messages between a widget's kernel side and its views: the shapes two or more
// widgets share, and the snapshot handshake. Each widget types its own messages in its
// folder's protocol.ts as two unions: `ToView` (kernel → browser) and `FromView`
// (browser → kernel); `View<M, ToView, FromView>` only sends and receives those.

import type { AnyModel } from "@anywidget/types";

/** A stream's lines as the kernel holds them (the snapshot of a log panel). */
export interface StreamSnapshot {
  lines: string[];
  partial: string;
  dropped?: number;
}

/** New complete lines of `stream`, then its unfinished last line as it now stands. */
export interface Append {
  type: "append";
  stream: string;
  lines: string[];
  partial: string;
}

/** Sent when a view is drawn: the kernel answers with `{type: "snapshot", ...}`. */
export interface SnapshotRequest {
  type: "snapshot?";
}

/** The user paused (false) or resumed (true) following new output. */
export interface Follow {
  type: "follow";
  value: boolean;
}

/**
 * Ask Python for the full state. If no answer comes (a saved notebook opened without a
 * kernel), `onSilence` runs so the view can say so and show what was saved.
 */
export function requestSnapshot(
  model: AnyModel<object>,
  onSilence: () => void,
  waitMs = 2500,
): {
  answered: () => void;
  cancel: () => void;
} {
  let done = false;
  const timer = window.setTimeout(() => {
    if (!done) onSilence();
  }, waitMs);
  try {
    model.send({ type: "snapshot?" } satisfies SnapshotRequest);
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
