// Unit tests of the widgets' views and their pure logic: vitest in jsdom, with a fake model
// (src/lib/testing/fake_model.ts). The Playwright suites (tests/browser) check the real page.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/lib/testing/setup.ts"],
    restoreMocks: true,
  },
});
