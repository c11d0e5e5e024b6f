import { defineConfig } from "drizzle-kit";

// Only used by `npm run db:generate`; the service applies the generated SQL itself at start-up.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./drizzle",
});
