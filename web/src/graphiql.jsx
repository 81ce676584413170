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

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultHeaders={headers}
    defaultTabs={exampleTabs(headers)}
    defaultEditorToolsVisibility={config.devToken ? 'headers' : true}
    shouldPersistHeaders={false}
  />,
);
