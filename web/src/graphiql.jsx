// GraphiQL served from the binary: no CDN, so it works on closed networks. The Go side writes the page's
// configuration (endpoint, development token) into a JSON script element; nothing here knows a token.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { parse } from 'graphql';
import 'graphiql/style.css';
import './graphiql.css';
import { exampleTabs } from './examples.js';

const config = JSON.parse(document.getElementById('healthsync-config').textContent || '{}');
const endpoint = config.endpoint || '/graphql';

// GraphiQL 4 finds the operation name by a debounced parse of the editor, so right after switching tabs (or
// pasting) it can still send the previous tab's name, which the server refuses as "operation … not found".
// The text being sent is the truth: keep the name only if the document has it, else use its only operation.
function fixOperationName(params) {
  try {
    const names = parse(params.query).definitions
      .filter((d) => d.kind === 'OperationDefinition').map((d) => (d.name ? d.name.value : null));
    if (params.operationName && names.includes(params.operationName)) return params;
    return { ...params, operationName: names.length === 1 && names[0] ? names[0] : undefined };
  } catch {
    return params; // a syntax error: let the server say where
  }
}

// A plain fetch is all the HTTP transport needs; the header editor's JSON comes in opts.headers.
async function fetcher(rawParams, opts) {
  const params = fixOperationName(rawParams);
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(opts && opts.headers) },
    body: JSON.stringify(params),
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] };
  }
}

const headers = config.devToken
  ? JSON.stringify({ Authorization: `Bearer ${config.devToken}` }, null, 2)
  : JSON.stringify({ Authorization: 'Bearer <paste a token>' }, null, 2);

// GraphiQL's history keeps each run's headers in local storage, where a bearer token would outlive the tab and
// go stale when the server mints a new development token. Headers are stored as a marker instead and read back
// as this page's current headers.
const MARKER = '<healthsync: current headers>';
function mapHeaders(value, fn) {
  if (!value || !value.includes('"headers"')) return value;
  try {
    const walk = (v) => {
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'headers' && typeof x === 'string' ? fn(x) : walk(x)]));
      }
      return v;
    };
    return JSON.stringify(walk(JSON.parse(value)));
  } catch {
    return value;
  }
}
const prefix = 'graphiql:';
const storage = {
  getItem: (k) => mapHeaders(localStorage.getItem(k), (h) => (h === MARKER ? headers : h)),
  setItem: (k, v) => localStorage.setItem(k, mapHeaders(v, (h) => (h.trim() ? MARKER : h))),
  removeItem: (k) => localStorage.removeItem(k),
  get length() {
    return Object.keys(localStorage).filter((k) => k.startsWith(prefix)).length;
  },
  clear: () => Object.keys(localStorage).filter((k) => k.startsWith(prefix)).forEach((k) => localStorage.removeItem(k)),
};

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultHeaders={headers}
    defaultTabs={exampleTabs(headers)}
    defaultEditorToolsVisibility={config.devToken ? 'headers' : true}
    shouldPersistHeaders={false}
    storage={storage}
  />,
);
