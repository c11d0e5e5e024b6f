import { defineConfig } from "vitest/config";

// The unit tests alone, the mutation run's suite (stryker.config.mjs): pure rules, no service, no browser.
export default defineConfig({
  test: {
    include: ["tests/unit/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 180_000,
    expect: { poll: { timeout: 20_000, interval: 50 } },
  },
});
