/**
 * A readable API reference rendered on the server from the OpenAPI document itself, so it cannot drift
 * from the schemas and needs no script from a third-party CDN.
 */

interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths?: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        security?: Array<Record<string, unknown>>;
        requestBody?: unknown;
        parameters?: unknown;
        responses?: Record<string, { description?: string }>;
      }
    >
  >;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );

/** The HTML page for `/docs`. */
export function renderDocsPage(document: object): string {
  const doc = document as OpenApiDocument;
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const auth = (operation.security ?? []).flatMap((entry) => Object.keys(entry)).join(' or ') || 'none';
      const responses = Object.entries(operation.responses ?? {})
        .map(
          ([status, response]) =>
            `<li><code>${escapeHtml(status)}</code> ${escapeHtml(response.description ?? '')}</li>`,
        )
        .join('');
      const request = operation.requestBody ?? operation.parameters;
      return `<section><h2><span class="method">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>
<p>${escapeHtml(operation.summary ?? '')}</p><p>Auth: <code>${escapeHtml(auth)}</code></p>
${request ? `<details><summary>Request</summary><pre>${escapeHtml(JSON.stringify(request, null, 2))}</pre></details>` : ''}
<ul>${responses}</ul></section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
section{border-top:1px solid #ddd;padding:.5rem 0}.method{color:#0a5;font-weight:700}pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style>
</head><body><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? '')}</p><p>Errors: <code>{"error":{"code","message","requestId"}}</code>.
Machine-readable: <a href="openapi.json">openapi.json</a>.</p>
${operations.join('\n')}</body></html>`;
}
