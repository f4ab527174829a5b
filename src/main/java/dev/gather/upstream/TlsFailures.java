package dev.gather.upstream;

import dev.gather.failure.FailureKind;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Tells why a TLS handshake failed from the JDK's exceptions. The JDK has no types for "unknown CA" or "wrong
 * host" (both are an SSLHandshakeException over a CertificateException), and the server's refusal of a client
 * certificate reaches the client only as the alert's name, so the messages of the cause chain are what there is.
 * An expired or not yet valid certificate is the exception: the JDK says so by type, and the PKIX wrapper's
 * message ("PKIX path validation failed") would otherwise make it look like an unknown CA.
 */
final class TlsFailures {
  private TlsFailures() {}

  static Optional<CallFailure> classify(String upstream, Throwable e) {
    boolean tls = false;
    boolean expired = false;
    StringBuilder messages = new StringBuilder();
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      tls |= t instanceof SSLException || t instanceof java.security.cert.CertificateException
          || t instanceof java.security.GeneralSecurityException;
      expired |= t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException
          || t instanceof CertPathValidatorException v && (v.getReason() == BasicReason.EXPIRED
              || v.getReason() == BasicReason.NOT_YET_VALID);
      messages.append(' ').append(t.getMessage());
    }
    if (!tls) {
      return Optional.empty();
    }
    String all = messages.toString();
    String lower = all.toLowerCase(Locale.ROOT);
    String said = firstMessage(e);
    if (expired) {
      return Optional.of(new CallFailure(FailureKind.TLS_EXPIRED, null, upstream + "'s certificate (or one in its "
          + "chain) has expired or is not valid yet; renew it on the upstream, or check the clocks (" + said + ")"));
    }
    if (lower.contains("pkix path") || lower.contains("unable to find valid certification path")
        || lower.contains("unknown_ca") || lower.contains("signature check failed")) {
      return Optional.of(new CallFailure(FailureKind.TLS_UNKNOWN_CA, null, upstream + "'s certificate is not signed "
          + "by a trusted CA; set upstreams." + upstream + ".tls.caFile to the CA that signed it (" + said + ")"));
    }
    if (lower.contains("subject alternative") || lower.contains("no name matching")) {
      return Optional.of(new CallFailure(FailureKind.TLS_WRONG_HOST, null, upstream + "'s certificate does not "
          + "name the host called; set upstreams." + upstream + ".tls.serverName to a name it holds (" + said + ")"));
    }
    if (lower.contains("certificate_required") || lower.contains("bad_certificate")
        || lower.contains("certificate_unknown") && !lower.contains("pkix")) {
      return Optional.of(new CallFailure(FailureKind.TLS_CLIENT_CERTIFICATE, null, upstream + " refused gather's "
          + "client certificate or wants one; set upstreams." + upstream + ".tls.certFile and keyFile to one its CA "
          + "signed (" + said + ")"));
    }
    return Optional.of(new CallFailure(FailureKind.TLS, null, "TLS handshake with " + upstream + " failed: " + said));
  }

  /** The deepest message, which names the actual reason rather than the wrapper's. */
  private static String firstMessage(Throwable e) {
    String message = String.valueOf(e.getMessage());
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
    }
    return message;
  }
}
