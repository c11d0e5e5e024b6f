import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AdminPageDeps } from "./index.js";

export function mountIncidentInbox(deps: AdminPageDeps) {
  return (app: OpenAPIHono) => {
    void deps;
    void app;
  };
}
