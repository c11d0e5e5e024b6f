import { timingSafeEqual } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { runCommand, type CliContext } from "../cli/commands.js";
import type { BackupManifest } from "../backup/backups.js";

const bodySchema = z.object({
  args: z.array(z.string().max(1000)).max(20),
  files: z.record(z.string(), z.string()).default({}),
});

/**
 * PGlite allows one process per data folder, so while the service runs the CLI sends its command
 * here (with the per-run token the service wrote to DATA_DIR/service.json, readable only by its
 * owner) and the service runs it on its own database.
 */
export function mountInternalCli(deps: {
  token: string;
  context: Omit<CliContext, "readFile">;
  /** PGlite: a consistent backup of the running database (`npm run cli -- backup`); absent on PostgreSQL (pg_dump). */
  backup?: () => Promise<{ data: Uint8Array; manifest: BackupManifest }>;
}) {
  const authorised = (header: string | undefined) => {
    const given = Buffer.from(header ?? "");
    const want = Buffer.from(deps.token);
    return given.length === want.length && timingSafeEqual(given, want);
  };
  return (app: OpenAPIHono) => {
    // The backup travels back as the body; what it holds (the manifest) in a header beside it.
    app.post("/internal/backup", async (c) => {
      if (!authorised(c.req.header("x-baocao-cli-token"))) return c.json({ error: "unauthorized" }, 401);
      if (!deps.backup) return c.json({ error: "Dịch vụ này không dùng PGlite: sao lưu PostgreSQL bằng pg_dump." }, 404);
      const { data, manifest } = await deps.backup();
      return c.body(data as Uint8Array<ArrayBuffer>, 200, {
        "content-type": "application/gzip",
        "x-baocao-backup-manifest": Buffer.from(JSON.stringify(manifest)).toString("base64url"),
      });
    });
    app.post("/internal/cli", async (c) => {
      if (!authorised(c.req.header("x-baocao-cli-token"))) return c.json({ error: "unauthorized" }, 401);
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
