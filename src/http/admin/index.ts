import type { OpenAPIHono } from "@hono/zod-openapi";
import { csrf } from "hono/csrf";
import type { Db } from "../../db/client.js";
import type { FormRegistry } from "../../conversations/form-registry.js";
import type { IncidentService } from "../../incidents/incident-service.js";
import type { Outbox } from "../../scheduler/outbox.js";
import type { Planners } from "../../scheduler/planners.js";
import type { Settings } from "../../scheduler/settings.js";
import type { Sessions } from "../sessions.js";
import { createAdminKit } from "./kit.js";
import { mountBroadcastPages } from "./broadcasts-page.js";
import { mountCampaignPages } from "./campaigns-page.js";
import { mountIncidentInbox } from "./incidents-inbox.js";
import { mountOfficerPages } from "./officers-page.js";
import { mountUnitPages } from "./units-page.js";
import { mountCalendarPages } from "./calendars-page.js";
import { mountAuditPage } from "./audit-page.js";

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

const SECTIONS = ["/broadcasts", "/campaigns", "/incidents", "/officers", "/units", "/calendars", "/audit"];

/** The admin web, part 2: one module per daily task of a district or province admin. */
export function mountAdminWeb(deps: AdminWebDeps) {
  const full: AdminPageDeps = { ...deps, kit: createAdminKit(deps) };
  return (app: OpenAPIHono) => {
    // Every form of these pages is accepted only from this site's own pages.
    for (const s of SECTIONS) {
      app.use(s, csrf());
      app.use(`${s}/*`, csrf());
    }
    for (const mount of [mountBroadcastPages, mountCampaignPages, mountIncidentInbox, mountOfficerPages, mountUnitPages, mountCalendarPages, mountAuditPage]) mount(full)(app);
  };
}
