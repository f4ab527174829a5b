package dev.gather.auth;

import dev.gather.http.ApiError;

/**
 * Why credentials were not accepted, in words safe to show the client (never the token itself), and the
 * {@code WWW-Authenticate} challenge that goes with the answer (RFC 6750 §3).
 */
final class AuthFailure {
  static final String REALM = "gather";

  private AuthFailure() {}

  /** 401 for a token or key that does not verify. */
  static ApiError invalidToken(String detail) {
    return new ApiError(401, "unauthorized", detail);
  }

  static String invalidTokenChallenge(String detail) {
    return "Bearer realm=\"" + REALM + "\", error=\"invalid_token\", error_description=\"" + quoted(detail) + "\"";
  }

  /** 403: the caller is known, but lacks what the route asks for. */
  static ApiError forbidden(String detail) {
    return new ApiError(403, "forbidden", detail);
  }

  static String insufficientScopeChallenge(String scopes) {
    return "Bearer realm=\"" + REALM + "\", error=\"insufficient_scope\", scope=\"" + quoted(scopes) + "\"";
  }

  private static String quoted(String text) {
    return text.replace("\\", "").replace("\"", "'");
  }
}
