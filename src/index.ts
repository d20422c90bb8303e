import { app } from "./app";
import { scheduled } from "./cron";
import { queue } from "./queues";

export default {
  fetch: app.fetch,
  queue,
  scheduled,
} satisfies ExportedHandler<Env>;
