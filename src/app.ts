import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { except } from "hono/combine";
import { validationHook } from "./lib/create-router";
import { onError, onNotFound } from "./lib/problem";
import { adminAuth, requireScope, tenantAuth } from "./middleware/auth";
import { context } from "./middleware/context";
import { requestLog } from "./middleware/request-log";
import { BATCH_BODY_LIMIT, IMPORT_BODY_LIMIT, limitBody, requireBodyType, requireJson } from "./middleware/json-body";
import { countSendRequest, requestRate } from "./middleware/request-rate";
import { account } from "./routes/account";
import { batchesRouter } from "./routes/batches";
import { admin } from "./routes/admin";
import { reviews } from "./routes/admin/reviews";
import { carriers } from "./routes/admin/carriers";
import { contentRules } from "./routes/content-rules";
import { health } from "./routes/health";
import { keys } from "./routes/keys";
import { messages } from "./routes/messages";
import { contactsRouter } from "./routes/contacts";
import { inbound } from "./routes/inbound";
import { numbers } from "./routes/numbers";
import { recipients } from "./routes/recipients";
import { sendersRouter } from "./routes/senders";
import { templatesRouter } from "./routes/templates";
import { webhooks } from "./routes/webhooks";
import { webhookEndpoints } from "./routes/webhook-endpoints";
import { eventsRouter } from "./routes/events";
import { statsRouter } from "./routes/stats";
import { alertsRouter } from "./routes/alerts";
import { adminStats } from "./routes/admin/stats";
import { adminHealth } from "./routes/admin/health";
import { adminD1Calls } from "./routes/admin/d1-calls";
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

// Bulk imports: JSON or CSV, up to IMPORT_BODY_LIMIT.
const IMPORT_PATHS = ["/v1/blocklist/import", "/v1/contacts/import"];
// A send and a dry run are counted against the request rate by their meter call (or after, if refused before it).
const SEND = (c: { req: { method: string; path: string } }) =>
  c.req.method === "POST" && (c.req.path === "/v1/messages" || c.req.path === "/v1/messages/dry-run");
// Batch creation: JSON up to BATCH_BODY_LIMIT (10,000 recipients with their params).
const BATCH_CREATE = (c: { req: { method: string; path: string } }) => c.req.method === "POST" && c.req.path === "/v1/batches";

function buildApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound(onNotFound);

  app.use("*", context);
  app.use("*", requestLog);
  app.use("/v1/admin/*", adminAuth);
  app.use("/v1/*", except("/v1/admin/*", tenantAuth, requireScope));
  // A send is counted by its admit, a report by its size (src/routes/stats).
  app.use("/v1/*", except(["/v1/admin/*", "/v1/stats", SEND], requestRate));
  app.use("/v1/messages/*", async (c, next) => (SEND(c) ? countSendRequest(c, next) : next()));
  app.use("/v1/*", except([...IMPORT_PATHS, BATCH_CREATE], limitBody(), requireJson));
  for (const path of IMPORT_PATHS) app.use(path, limitBody(IMPORT_BODY_LIMIT), requireBodyType("json", "csv"));
  app.use("/v1/batches", limitBody(BATCH_BODY_LIMIT), requireJson);
  // Carriers post JSON or forms (Twilio, Vonage).
  app.use("/webhooks/*", limitBody(), requireBodyType("json", "form"));

  app.route("/health", health);
  app.route("/v1/messages", messages);
  app.route("/v1/batches", batchesRouter);
  app.route("/v1/account", account);
  app.route("/v1/templates", templatesRouter);
  app.route("/v1/senders", sendersRouter);
  app.route("/v1/content-rules", contentRules);
  app.route("/v1/numbers", numbers);
  app.route("/v1", recipients);
  app.route("/v1", inbound);
  app.route("/v1", contactsRouter);
  app.route("/v1/keys", keys);
  app.route("/v1/webhooks", webhookEndpoints);
  app.route("/v1/events", eventsRouter);
  app.route("/v1/stats", statsRouter);
  app.route("/v1/alerts", alertsRouter);
  app.route("/v1/admin", admin);
  app.route("/v1/admin", reviews);
  app.route("/v1/admin", carriers);
  app.route("/v1/admin", adminStats);
  app.route("/v1/admin", adminHealth);
  app.route("/v1/admin", adminD1Calls);
  app.route("/webhooks", webhooks);

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
