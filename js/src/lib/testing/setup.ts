// What jsdom lacks and the views use: observers of size and visibility (no layout here, so
// they never fire), and the clipboard's fallback. And after each test, its views go away.

import { afterEach } from "vitest";
import { unmountAll } from "./fake_model";

afterEach(unmountAll);

class NoObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}

const globals = globalThis as Record<string, unknown>;
globals.ResizeObserver ??= NoObserver;
globals.IntersectionObserver ??= NoObserver;
document.execCommand ??= () => false;
