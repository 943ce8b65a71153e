// A widget's own rules, added once per page next to the shared styles.css (which every
// widget loads through anywidget's _css). Keeps a widget's look in its own file.

const added = new Set<string>();

export function injectCss(id: string, text: string): void {
  if (added.has(id) || document.getElementById(`sfj-css-${id}`)) {
    added.add(id);
    return;
  }
  const style = document.createElement("style");
  style.id = `sfj-css-${id}`;
  style.textContent = text;
  document.head.append(style);
  added.add(id);
}

/** "1.5 MiB" from bytes; "—" for none. */
export function humanBytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !isFinite(value)) return "—";
  let size = value;
  for (const unit of ["B", "KiB", "MiB", "GiB", "TiB"]) {
    if (Math.abs(size) < 1024 || unit === "TiB") return unit === "B" ? `${Math.round(size)} B` : `${size.toFixed(1)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(1)} PiB`;
}
