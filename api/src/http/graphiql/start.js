// Starts GraphiQL on orgdesign's /graphiql page. A file of its own, not an inline
// script, so the page's Content-Security-Policy need not allow inline scripts. React,
// ReactDOM and GraphiQL are the UMD bundles the page loads before this file, from the
// CDN or, in offline mode, from orgdesign (api/assets/graphiql/manifest.txt pins them).
(function () {
  "use strict";

  // A bundle that did not load (no internet access, a proxy in the way, bytes that
  // failed their integrity check) leaves its global undefined: say so rather than
  // leave "Loading GraphiQL…" on the page.
  if (typeof React === "undefined" || typeof ReactDOM === "undefined" ||
      typeof GraphiQL === "undefined") {
    document.getElementById("graphiql").textContent =
      "GraphiQL's files did not load (the browser console says which and why). By " +
      "default the page loads them from cdn.jsdelivr.net, which needs internet access; " +
      "a server in a network without it serves them itself when its [graphiql] " +
      "assets_dir names a folder filled by api/assets/graphiql/refresh.sh.";
    return;
  }

  // The page's nonce for styles: GraphiQL's dialogs add a <style> element, which the
  // policy admits only with this nonce (the bundle reads __webpack_nonce__).
  var script = document.currentScript;
  if (script && script.nonce) {
    window.__webpack_nonce__ = script.nonce;
  }

  // The placeholder the header editor opens with. The page never carries a token:
  // the user pastes one (a development server prints an admin token when it starts;
  // `orgdesign token` mints one where a key is configured).
  var PLACEHOLDER = "<paste a token>";
  var HEADERS = JSON.stringify({ Authorization: "Bearer " + PLACEHOLDER }, null, 2);
  var HINT =
    "Paste a bearer token into the Headers tab below, in place of " + PLACEHOLDER +
    ". A development server without a configured key prints an admin token when it " +
    "starts; otherwise mint one with `orgdesign token --role admin --subject <you>`.";

  // Relative to the page, so a proxy that serves orgdesign under a path prefix works.
  var endpoint = new URL("graphql", window.location.href);
  var subscriptions = new URL(endpoint.href);
  subscriptions.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // Queries and mutations go over HTTP; subscriptions over WebSocket with the
  // graphql-transport-ws protocol (graphql-ws), on the same path. GraphiQL sends the
  // headers of its Headers tab with every HTTP request and, for a subscription, as
  // the `connection_init` payload, which is where orgdesign reads the token.
  var graphiqlFetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: subscriptions.href,
  });

  // The Authorization header of a headers object, or null when it is missing or
  // still the placeholder.
  function tokenOf(headers) {
    for (var name in headers || {}) {
      var value = String(headers[name]);
      if (name.toLowerCase() === "authorization" && value.indexOf(PLACEHOLDER) === -1) {
        return value;
      }
    }
    return null;
  }

  // A fetcher that says where to get a token instead of sending a request orgdesign
  // would refuse. A new one is made whenever the token changes: GraphiQL fetches the
  // schema (for its docs and completion) again when its fetcher changes.
  function newFetcher() {
    return function (params, options) {
      if (tokenOf(options && options.headers) === null) {
        return Promise.resolve({ errors: [{ message: HINT }] });
      }
      return graphiqlFetcher(params, options);
    };
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  var token = null;
  var pending = null;

  function render() {
    root.render(
      React.createElement(GraphiQL, {
        fetcher: newFetcher(),
        defaultHeaders: HEADERS,
        defaultEditorToolsVisibility: "headers",
        onEditHeaders: onEditHeaders,
      }),
    );
  }

  // Waits for typing to pause, so a token typed by hand is not tried per keystroke.
  function onEditHeaders(text) {
    clearTimeout(pending);
    pending = setTimeout(function () {
      var headers;
      try {
        headers = JSON.parse(text);
      } catch (notYet) {
        return;
      }
      var next = tokenOf(headers);
      if (next !== null && next !== token) {
        token = next;
        render();
      }
    }, 400);
  }

  render();
})();
