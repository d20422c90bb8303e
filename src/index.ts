import { app } from "./app";
import { scheduled } from "./cron";
import { queue } from "./queues";

export { TenantMeter } from "./meter/tenant-meter";

export default {
  fetch: app.fetch,
  // The queue handler is given the app's fetch rather than importing the app.
  queue: (batch, env, ctx) => queue(batch, env, ctx, app.fetch),
  scheduled,
} satisfies ExportedHandler<Env>;
