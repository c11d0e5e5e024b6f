import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Hono } from "hono";
import { FAVICON_SVG } from "../components/layout.js";
import { PAGE_SCRIPT } from "../page-script.js";
import { REPORT_FORM_SCRIPT } from "./report-form-script.js";

/** Static files the pages load, served by baocao itself: deployments may have no internet. They hold no data. */
export function mountAssets(app: Pick<Hono, "get">) {
  let chartJs: string | undefined;
  app.get("/assets/chart.js", (c) => {
    // The UMD build is not in the package's exports map: find it next to the main entry.
    chartJs ??= readFileSync(join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8");
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "public, max-age=86400");
    return c.body(chartJs);
  });
  app.get("/assets/baocao.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "public, max-age=3600");
    return c.body(PAGE_SCRIPT);
  });
  app.get("/assets/report-form.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    // Revalidated each time: the phone's offline copy is the service worker's, not the HTTP cache's.
    c.header("cache-control", "no-cache");
    return c.body(REPORT_FORM_SCRIPT);
  });
  app.get("/favicon.svg", (c) => {
    c.header("content-type", "image/svg+xml");
    c.header("cache-control", "public, max-age=604800, immutable");
    return c.body(FAVICON_SVG);
  });
}
