// What both pages share: the token's storage key, element helpers, and the one way a request
// carries the caller's credentials. Loaded before page.js and cases.js (classic scripts share
// one global scope, so each name is declared here only).
"use strict";

const TOKEN_KEY = "dropout-risk.token";
const LANG_KEY = "dropout-risk.lang";
const $ = (id) => document.getElementById(id);

// Data enters the page as text only (`text`), never as HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

// A token typed on the main page (kept in this tab only), else the phone's session cookie.
function fetchWithCredentials(path, options = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const credentials = token ? "omit" : "same-origin";
  return fetch(path, { ...options, headers, credentials });
}
