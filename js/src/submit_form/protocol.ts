// SubmitForm's messages (sfapi_jupyter/widgets/submit_form.py): the kernel owns the rules, so
// every edit goes there and comes back as traits (a field edit as a new script, a script edit
// as new field values); the snapshot only tells a late view that the kernel is there.

import type { SnapshotRequest } from "../lib/protocol";

export type ToView = { type: "snapshot" };

export type FromView =
  | SnapshotRequest
  | { type: "script"; value: string }
  | { type: "field"; name: string; value: string }
  | { type: "machine"; value: string }
  | { type: "submit" }
  | { type: "view"; value: "form" | "job" };
