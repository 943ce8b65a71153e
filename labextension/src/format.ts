// Words and numbers as the panel shows them: durations, "as of" times, state labels.

/** 3725 → `1:02:05`, 65 → `1:05`, null → `–` (as squeue prints elapsed time). */
export function duration(seconds: number | null): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '–';
  }
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  const hms = h || days ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
  return days ? `${days}-${hms.padStart(8, '0')}` : hms;
}

/** `OUT_OF_MEMORY` → `OUT OF MEMORY`. */
export function stateLabel(state: string): string {
  return (state || 'UNKNOWN').replace(/_/g, ' ');
}

/** How long ago an ISO time was, in words: `just now`, `40 s ago`, `3 min ago`. */
export function ago(iso: string | null, now: number = Date.now()): string {
  if (!iso) {
    return 'never';
  }
  const then = Date.parse(iso);
  if (isNaN(then)) {
    return iso;
  }
  const s = Math.round((now - then) / 1000);
  if (s < 5) {
    return 'just now';
  }
  if (s < 90) {
    return `${s} s ago`;
  }
  if (s < 5400) {
    return `${Math.round(s / 60)} min ago`;
  }
  return new Date(then).toLocaleString();
}

/** An outage's window, in the reader's local time: `Dec 7 14:00 – 18:00`. */
export function outageWindow(start: string | null, end: string | null): string {
  const fmt = (iso: string | null, withDay: boolean): string => {
    if (!iso) {
      return '?';
    }
    const d = new Date(iso);
    if (isNaN(d.getTime())) {
      return iso;
    }
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return withDay ? `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}` : time;
  };
  const sameDay = start && end && new Date(start).toDateString() === new Date(end).toDateString();
  return `${fmt(start, true)} – ${fmt(end, !sameDay)}`;
}

/** `el('div', {class: 'x'}, 'text', child)`: a small DOM builder (text is never HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child !== null) {
      node.append(child);
    }
  }
  return node;
}
