// Swagger UI for /api/docs, kept in a file because the content policy allows no inline script.
// "Try it out" runs in the signed-in browser: the session cookie goes with each request, and
// changes carry the session's CSRF token as the JSON API asks of a browser.
window.addEventListener("DOMContentLoaded", function () {
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: function (req) {
      if (req.method && req.method.toUpperCase() !== "GET") {
        req.headers["X-CSRF-Token"] = csrf;
      }
      return req;
    },
  });
});
