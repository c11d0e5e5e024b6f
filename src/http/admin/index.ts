import type { OpenAPIHono } from "@hono/zod-openapi";
import { csrf } from "hono/csrf";
import { createAdminKit } from "./kit.js";
import type { AdminWebDeps, AdminPageDeps } from "./deps.js";
import { mountBroadcastPages } from "./broadcasts-page.js";
import { mountCampaignPages } from "./campaigns-page.js";
import { mountIncidentInbox } from "./incidents-inbox.js";
import { mountOfficerPages } from "./officers-page.js";
import { mountUnitPages } from "./units-page.js";
import { mountCalendarPages } from "./calendars-page.js";
import { mountAuditPage } from "./audit-page.js";
import { mountTemplatePages } from "./templates-page.js";
import { mountRequestPages } from "./requests-page.js";

export type { AdminWebDeps, AdminPageDeps } from "./deps.js";

const SECTIONS = ["/broadcasts", "/campaigns", "/incidents", "/officers", "/units", "/calendars", "/audit", "/templates", "/requests"];

/** The admin web, part 2: one module per daily task of a district or province admin. */
export function mountAdminWeb(deps: AdminWebDeps) {
  const full: AdminPageDeps = { ...deps, kit: createAdminKit(deps) };
  return (app: OpenAPIHono) => {
    // Every form of these pages is accepted only from this site's own pages.
    for (const s of SECTIONS) {
      app.use(s, csrf());
      app.use(`${s}/*`, csrf());
    }
    for (const mount of [
      mountBroadcastPages,
      mountCampaignPages,
      mountIncidentInbox,
      mountOfficerPages,
      mountUnitPages,
      mountCalendarPages,
      mountAuditPage,
      mountTemplatePages,
      mountRequestPages,
    ])
      mount(full)(app);
  };
}
