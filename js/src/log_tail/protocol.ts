// LogTail's messages (sfapi_jupyter/widgets/log_tail.py): the file's lines, as one stream
// named "".

import type { Append, Follow, SnapshotRequest, StreamSnapshot } from "../lib/protocol";

export type ToView = { type: "snapshot"; streams?: Record<string, StreamSnapshot> } | Append;

export type FromView = SnapshotRequest | Follow;
