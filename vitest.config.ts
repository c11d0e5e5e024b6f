import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    // Database files each open their own PGlite (~300 MB): two at a time fit a 2-core CI box.
    maxWorkers: 2,
    testTimeout: 30_000,
    // Opening a PGlite and starting a service take seconds alone and a minute or more beside another suite.
    hookTimeout: 180_000,
    // A poll waits for something the service does on its own time (a reply sent by the delivery
    // worker, a row written after commit): a generous ceiling, so that a busy machine (CI running two
    // files at once, or a second copy of the suite) is slow rather than red. A poll that succeeds
    // returns as soon as its condition holds, so the ceiling costs nothing when all is well.
    expect: { poll: { timeout: 20_000, interval: 50 } },
  },
});
