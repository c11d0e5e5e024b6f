import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AdminPageDeps } from "./index.js";

export function mountOfficerPages(deps: AdminPageDeps) {
  return (app: OpenAPIHono) => {
    void deps;
    void app;
  };
}
