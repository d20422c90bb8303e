// `npm run db:migrate:local` (and `-- --remote` for the deployed databases): applies every migration to the
// control database and to every shard named in wrangler.toml's [[d1_databases]].
import { d1Bindings, migrateAll } from "./local-server.mjs";

const remote = process.argv.includes("--remote");
console.log(`Applying migrations ${remote ? "remotely" : "locally"} to ${d1Bindings().join(", ")}`);
process.exit(migrateAll([], { remote, stdio: "inherit" }) ? 0 : 1);
