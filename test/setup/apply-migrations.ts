import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Idempotent: applies only what this file's isolated databases have not seen yet. Every database (the control
// one and each shard) gets every migration, as `npm run dev` and the deploy steps do.
await Promise.all([env.DB, env.SHARD_1, env.SHARD_2].map((db) => applyD1Migrations(db, env.TEST_MIGRATIONS)));
