// Human times: "1m 12s", "3h 05m"; counts that keep going between kernel updates.

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  let total = Math.max(0, Math.floor(seconds));
  const days = Math.floor(total / 86400);
  total -= days * 86400;
  const hours = Math.floor(total / 3600);
  total -= hours * 3600;
  const minutes = Math.floor(total / 60);
  const secs = total - minutes * 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (days) return `${days}d ${two(hours)}h`;
  if (hours) return `${hours}h ${two(minutes)}m`;
  if (minutes) return `${minutes}m ${two(secs)}s`;
  return `${secs}s`;
}

/** Seconds at `nowMs`, from a value measured at `atMs` (kernel clock) that keeps counting if
 *  `live` (never backwards: a browser clock behind the kernel's adds nothing). */
export function liveSeconds(
  base: number | null | undefined,
  atMs: number | undefined,
  live: boolean,
  nowMs: number = Date.now(),
): number | null {
  if (base === null || base === undefined) return null;
  if (!live || !atMs) return base;
  return base + Math.max(0, (nowMs - atMs) / 1000);
}

/** "2026-05-02T18:10:51[+00:00]" → "18:10:51": the facility's own wall clock, as given. */
export function clockTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const match = /T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match ? match[1] : iso;
}

/** "2026-05-02T18:10:51" → "May 2, 18:10:51" ("18:10:51" for today if `compact`). */
export function shortDateTime(iso: string | null | undefined, compact = false): string {
  if (!iso) return "";
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  if (!match) return iso;
  if (compact) {
    const today = new Date();
    const sameDay =
      Number(match[1]) === today.getFullYear() &&
      Number(match[2]) === today.getMonth() + 1 &&
      Number(match[3]) === today.getDate();
    if (sameDay) return match[4];
  }
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return `${months[Number(match[2]) - 1] ?? match[2]} ${Number(match[3])}, ${match[4]}`;
}
