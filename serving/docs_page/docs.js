// Ask for the token, fetch the schema with it, start Swagger UI with the token on each call.
"use strict";
document.getElementById("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = document.getElementById("token").value.trim();
  const auth = { Authorization: `Bearer ${token}` };
  const response = await fetch("/openapi.json", { headers: auth, credentials: "omit" });
  if (!response.ok) {
    alert("The token was not accepted.");
    return;
  }
  document.getElementById("signin").hidden = true;
  window.SwaggerUIBundle({
    spec: await response.json(),
    dom_id: "#swagger-ui",
    requestInterceptor: (request) => {
      request.headers.Authorization = auth.Authorization;
      return request;
    },
  });
});
