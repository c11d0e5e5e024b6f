import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError, loadConfig } from "../config.js";
import { createDatabase } from "../db/client.js";
import { createFormRegistry } from "../forms/form-registry.js";
import { ensureReportingDefaults } from "../reporting/reporting-defaults.js";
import { fileArguments, runCommand, USAGE, type CliResult } from "./commands.js";
import { runningService } from "./service-file.js";
import { runBackupCommand } from "./backup-commands.js";

/**
 * `npm run cli -- …`. On PostgreSQL it opens the database itself. On PGlite (one process per data
 * folder) it sends the command to the running service if there is one, else opens the folder.
 */
async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args[0] === "help" || args[0] === "--help") {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  if (args[0] === "backup" || args[0] === "restore") return report(await runBackupCommand(args, config));
  const service = config.DATABASE_URL ? undefined : runningService(config.DATA_DIR);
  let result: CliResult;
  if (service) {
    const files: Record<string, string> = {};
    for (const path of fileArguments(args)) {
      try {
        files[path] = (await readInput(path)).toString("base64");
      } catch {
        // Leave it out: the service answers "cannot open the file" in Vietnamese.
      }
    }
    const res = await fetch(`http://127.0.0.1:${service.port}/internal/cli`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-baocao-cli-token": service.token },
      body: JSON.stringify({ args, files }),
    });
    if (!res.ok) throw new Error(`Dịch vụ đang chạy trả lời ${res.status}`);
    result = (await res.json()) as CliResult;
  } else {
    const database = createDatabase({ databaseUrl: config.DATABASE_URL, dataDir: join(resolve(config.DATA_DIR), "pglite"), poolSize: 2 });
    try {
      await database.migrate();
      const forms = createFormRegistry();
      await ensureReportingDefaults(database.db, forms);
      result = await runCommand(args, {
        db: database.db,
        forms,
        clock: () => new Date(),
        timeZone: config.TZ_REPORTS,
        inviteTtlHours: config.INVITE_TTL_HOURS,
        telegramUsername: async () => config.TELEGRAM_BOT_USERNAME ?? (await botUsername(config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_API_ROOT)),
        readFile: readInput,
      });
    } finally {
      await database.close();
    }
  }
  for (const file of result.files ?? []) await writeFile(file.path, Buffer.from(file.base64, "base64"));
  return report(result);
}

function report(result: CliResult): number {
  (result.exitCode === 0 ? console.log : console.error)(result.output);
  return result.exitCode;
}

/** A file by path, or standard input for "-" (passwords are never command-line arguments). */
async function readInput(path: string): Promise<Buffer> {
  if (path !== "-") return readFile(path);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function botUsername(token: string | undefined, apiRoot = "https://api.telegram.org"): Promise<string | undefined> {
  if (!token) return undefined;
  try {
    const { Api } = await import("grammy");
    const me = await new Api(token, { apiRoot }).getMe();
    return me.username;
  } catch {
    return undefined;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
