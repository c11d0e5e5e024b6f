import { timingSafeEqual } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { runCommand, type CliContext } from "../cli/commands.js";

const bodySchema = z.object({
  args: z.array(z.string().max(1000)).max(20),
  files: z.record(z.string(), z.string()).default({}),
});

/**
 * PGlite allows one process per data folder, so while the service runs the CLI sends its command
 * here (with the per-run token the service wrote to DATA_DIR/service.json, readable only by its
 * owner) and the service runs it on its own database.
 */
export function mountInternalCli(deps: { token: string; context: Omit<CliContext, "readFile"> }) {
  return (app: OpenAPIHono) => {
    app.post("/internal/cli", async (c) => {
      const given = Buffer.from(c.req.header("x-baocao-cli-token") ?? "");
      const want = Buffer.from(deps.token);
      if (given.length !== want.length || !timingSafeEqual(given, want)) return c.json({ error: "unauthorized" }, 401);
      const parsed = bodySchema.safeParse(await c.req.json());
      if (!parsed.success) return c.json({ error: "Yêu cầu không hợp lệ" }, 400);
      const { args, files } = parsed.data;
      const result = await runCommand(args, {
        ...deps.context,
        readFile: async (path) => {
          const content = files[path];
          if (content === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT", path });
          return Buffer.from(content, "base64");
        },
      });
      return c.json(result);
    });
  };
}
