import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { except } from "hono/combine";
import { validationHook } from "./lib/create-router";
import { onError, onNotFound } from "./lib/problem";
import { adminAuth, requireScope, SHARED_SETTINGS, tenantAuth, testKeysReadOnly } from "./middleware/auth";
import { context } from "./middleware/context";
import { requestLog } from "./middleware/request-log";
// Each URL resource's routes, in the folder named after its first path segment; each folder exports `router`.
import { router as account } from "./routes/account";
import { router as adminRoutes } from "./routes/admin";
import { router as adminCarrierRoutes } from "./routes/admin/carriers";
import { router as adminD1CallRoutes } from "./routes/admin/d1-calls";
import { router as adminDeadLetterRoutes } from "./routes/admin/dead-letters";
import { router as adminHealthRoutes } from "./routes/admin/health";
import { router as adminReviewRoutes } from "./routes/admin/reviews";
import { router as adminStatsRoutes } from "./routes/admin/stats";
import { router as alerts } from "./routes/alerts";
import { router as allowlist } from "./routes/allowlist";
import { router as batches } from "./routes/batches";
import { router as blocklist } from "./routes/blocklist";
import { router as carrierWebhooks } from "./routes/carrier-webhooks";
import { router as contacts } from "./routes/contacts";
import { router as contentRules } from "./routes/content-rules";
import { router as events } from "./routes/events";
import { router as groups } from "./routes/groups";
import { router as health } from "./routes/health";
import { router as inbound } from "./routes/inbound";
import { router as keys } from "./routes/keys";
import { router as keywords } from "./routes/keywords";
import { router as messages } from "./routes/messages";
import { router as numbers } from "./routes/numbers";
import { router as recipients } from "./routes/recipients";
import { router as senders } from "./routes/senders";
import { router as stats } from "./routes/stats";
import { router as templates } from "./routes/templates";
import { router as webhooks } from "./routes/webhooks";
// The compatible APIs: Twilio's Messages API under its version, Alibaba's dysmsapi at the root (its SDKs post to /).
import { router as twilio } from "./routes/2010-04-01";
import { router as dysmsapi } from "./routes/dysmsapi";
import type { AppEnv } from "./types";

const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "SMS Gateway API",
    version: "1.0.0",
    description:
      "Send SMS through one HTTPS API. Every error is `application/problem+json` with a stable `code`. " +
      "Test keys (`sk_test_…`) always use the built-in simulator carrier and are never charged.",
  },
};

function buildApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound(onNotFound);

  app.use("*", context);
  app.use("*", requestLog);
  app.use("/v1/admin/*", adminAuth);
  app.use("/v1/*", except("/v1/admin/*", tenantAuth, requireScope));
  for (const prefix of SHARED_SETTINGS) {
    app.use(prefix, testKeysReadOnly);
    app.use(`${prefix}/*`, testKeysReadOnly);
  }
  // Each route declares the rest (src/lib/openapi.ts): how it counts against the request rate, its body's
  // size and media types, and its own checks (a carrier's signature).

  app.route("/health", health);
  app.route("/v1/account", account);
  app.route("/v1/alerts", alerts);
  app.route("/v1/allowlist", allowlist);
  app.route("/v1/batches", batches);
  app.route("/v1/blocklist", blocklist);
  app.route("/v1/contacts", contacts);
  app.route("/v1/content-rules", contentRules);
  app.route("/v1/events", events);
  app.route("/v1/groups", groups);
  app.route("/v1/inbound", inbound);
  app.route("/v1/keys", keys);
  app.route("/v1/keywords", keywords);
  app.route("/v1/messages", messages);
  app.route("/v1/numbers", numbers);
  app.route("/v1/recipients", recipients);
  app.route("/v1/senders", senders);
  app.route("/v1/stats", stats);
  app.route("/v1/templates", templates);
  app.route("/v1/webhooks", webhooks);
  app.route("/v1/admin", adminRoutes);
  app.route("/v1/admin", adminReviewRoutes);
  app.route("/v1/admin", adminCarrierRoutes);
  app.route("/v1/admin", adminStatsRoutes);
  app.route("/v1/admin", adminHealthRoutes);
  app.route("/v1/admin", adminD1CallRoutes);
  app.route("/v1/admin", adminDeadLetterRoutes);
  app.route("/webhooks", carrierWebhooks);
  app.route("/2010-04-01", twilio);
  app.route("/", dysmsapi);

  app.openAPIRegistry.registerComponent("securitySchemes", "ApiKey", {
    type: "http",
    scheme: "bearer",
    description: "A tenant API key: `sk_test_…` or `sk_live_…`.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "AdminToken", {
    type: "http",
    scheme: "bearer",
    description: "The operator's `ADMIN_TOKEN` secret.",
  });

  // Generated once per isolate: the document only changes with a deploy.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get("/openapi.json", (c) => c.json((document ??= app.getOpenAPI31Document(OPENAPI_INFO))));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "SMS Gateway API" }));
  return app;
}

export const app = buildApp();
