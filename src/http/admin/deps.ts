import type { Db } from "../../db/client.js";
import type { FormRegistry } from "../../forms/form-registry.js";
import type { IncidentService } from "../../incidents/incident-service.js";
import type { Outbox } from "../../delivery/outbox.js";
import type { Planners } from "../../scheduler/planners.js";
import type { Settings } from "../../delivery/settings.js";
import type { Sessions } from "../sessions.js";
import type { createAdminKit } from "./kit.js";

export interface AdminWebDeps {
  db: Db;
  clock: () => Date;
  timeZone: string;
  publicUrl?: string;
  /** PUBLIC_URL, else the service's own address: links are never built from a request's Host. */
  publicOrigin: () => string;
  sessions: Sessions;
  incidents: IncidentService;
  outbox: Outbox;
  planners: Planners;
  settings: Settings;
  forms: FormRegistry;
  inviteTtlHours: number;
  telegramUsername: () => Promise<string | undefined>;
  /** Work a request starts that outlives it (sending a broadcast); awaited on stop. */
  track: <T>(p: Promise<T>) => Promise<T>;
}

export type AdminPageDeps = AdminWebDeps & { kit: ReturnType<typeof createAdminKit> };
