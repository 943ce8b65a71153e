// TransferCard's messages (sfapi_jupyter/widgets/transfer.py): everything it shows is in
// traits; the snapshot only tells a late view that the kernel is there.

import type { SnapshotRequest } from "../lib/protocol";

export type ToView = { type: "snapshot"; at_ms?: number };

export type FromView = SnapshotRequest;
