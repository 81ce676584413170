// PostGraphile 5 over the pgl_bench schema that the outside client (devtools/outside) creates: a 7-column samples
// table and insert_samples(samples[]), an unnest bulk insert, which PostGraphile exposes as the insertSamples
// mutation. Production-like settings: no GraphiQL, no explain, no watch; errors are logged, not masked away.
//
//   PGL_PORT=5678 PGL_DATABASE_URL=postgres://… node server.mjs   (or the PG* variables: PGHOST, PGPORT, …)
import "./shim.mjs";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const port = Number(process.env.PGL_PORT || 5678);
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      // Unset: node-postgres reads PGHOST, PGPORT, PGUSER, PGDATABASE (a Unix socket folder works as PGHOST).
      connectionString: process.env.PGL_DATABASE_URL || undefined,
      schemas: ["pgl_bench"],
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: {
    port,
    graphiql: false,
    watch: false,
    // A batch of 5,000 samples is about 1 MB of JSON; the default limit is 100 kB.
    maxRequestLength: 64 * 1024 * 1024,
  },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, "127.0.0.1", () => console.log(`postgraphile listening on 127.0.0.1:${port}`));
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
