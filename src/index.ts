import { app } from "./app";
import { scheduled } from "./cron";
import { queue } from "./queues";

export { TenantMeter } from "./meter/tenant-meter";

export default {
  fetch: app.fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env>;
