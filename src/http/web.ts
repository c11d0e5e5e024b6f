import type { OpenAPIHono } from "@hono/zod-openapi";
import { csrf } from "hono/csrf";
import { mountAssets } from "./web/assets.js";
import { dashboardApp } from "./web/dashboard.js";
import type { WebDeps } from "./web/deps.js";
import { loginApp } from "./web/login.js";
import { submissionsApp } from "./web/submissions.js";
import { reportFormApp } from "./web/report-form.js";

export type { WebDeps } from "./web/deps.js";

/**
 * The officers' web pages: sign-in by a one-time link delivered to their linked chat (admins: a
 * password), server-side sessions, CSRF checks on every form, and pages that show only the
 * signed-in officer's subtree — each a sub-app of src/http/web/ on the use cases of src/reporting/.
 */
export function mountWeb(deps: WebDeps) {
  return (app: OpenAPIHono) => {
    // Forms are only accepted from this site's own pages (Origin / Sec-Fetch-Site checks).
    app.use("/login", csrf());
    app.use("/login/*", csrf());
    app.use("/logout", csrf());
    app.use("/submissions/*", csrf());
    app.use("/dashboard/remind", csrf());

    mountAssets(app);
    app.route("/", loginApp(deps));
    app.route("/dashboard", dashboardApp(deps));
    app.route("/submissions", submissionsApp(deps));
    app.route("/f", reportFormApp(deps));
  };
}
