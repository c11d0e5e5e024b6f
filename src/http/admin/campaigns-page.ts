import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AdminPageDeps } from "./index.js";

export function mountCampaignPages(deps: AdminPageDeps) {
  return (app: OpenAPIHono) => {
    void deps;
    void app;
  };
}
