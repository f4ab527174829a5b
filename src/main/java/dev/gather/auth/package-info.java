/**
 * Who is calling: bearer tokens verified with vertx-auth-jwt (keys from a JWKS, PEM or a secret), API keys known by
 * their hashes, and the policy of each route group and aggregate. Sets {@link dev.gather.http.Caller}; the server
 * puts its guard in front of every route.
 */
package dev.gather.auth;
