// Bundles src/ into dist/ (committed: the Go binary embeds it, so building Go never needs node).
import * as esbuild from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await esbuild.build({
  entryPoints: { graphiql: 'src/graphiql.jsx', dashboard: 'src/dashboard.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: 'dist',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
  assetNames: 'assets/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'info',
});
