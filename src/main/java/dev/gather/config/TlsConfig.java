package dev.gather.config;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPrivateKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How gather speaks TLS to one peer (an upstream, the database): whom it trusts beyond the JVM's CAs, the
 * client certificate it shows (mTLS), and the name it checks. Every file is read and parsed when the
 * configuration is, before anything is deployed, so a wrong path or a key in place of a certificate stops the
 * start with a message naming the key and the file rather than failing the first call.
 *
 * @param caFile PEM certificates of the CA(s) to trust instead of the JVM's
 * @param certFile PEM client certificate (chain), shown when the server asks; with {@code keyFile}
 * @param keyFile PEM private key of {@code certFile} (PKCS#8, or PKCS#1 RSA / SEC1 EC), unencrypted
 * @param verifyHost whether the server's certificate must name the host (or {@code serverName})
 * @param serverName the name sent as SNI and checked in the certificate, when it is not the URL's host
 */
public record TlsConfig(
    Optional<Path> caFile,
    Optional<Path> certFile,
    Optional<Path> keyFile,
    boolean verifyHost,
    Optional<String> serverName) {

  public static final TlsConfig NONE =
      new TlsConfig(Optional.empty(), Optional.empty(), Optional.empty(), true, Optional.empty());

  static final Set<String> KEYS = Set.of("caFile", "certFile", "keyFile", "verifyHost", "serverName");
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  /** Whether anything differs from plain TLS with the JVM's trust store. */
  public boolean configured() {
    return !equals(NONE);
  }

  public boolean clientCertificate() {
    return certFile.isPresent();
  }

  /** Reads {@code <prefix>.tls} of an upstream: its keys checked, its files read and parsed. */
  static TlsConfig parse(Fields in, JsonObject json) {
    Fields tls = in.nested("tls", json);
    tls.rejectUnknown(KEYS);
    return of(tls, tls.text("caFile"), tls.text("certFile"), tls.text("keyFile"), tls.bool("verifyHost", true),
        tls.text("serverName"));
  }

  /** Builds and checks one, {@code in} naming the keys in messages (e.g. {@code upstreams.users.tls}). */
  static TlsConfig of(Fields in, Optional<String> ca, Optional<String> cert, Optional<String> key, boolean verifyHost,
      Optional<String> serverName) {
    Optional<Path> caFile = ca.map(f -> certificates(in, "caFile", f));
    Optional<Path> certFile = cert.map(f -> certificates(in, "certFile", f));
    Optional<Path> keyFile = key.map(f -> privateKey(in, "keyFile", f));
    if (cert.isPresent() != key.isPresent()) {
      in.problem(cert.isPresent() ? "keyFile" : "certFile", ": missing; a client certificate needs both certFile "
          + "and keyFile (PEM), or neither");
    }
    if (certFile.isPresent() && keyFile.isPresent()) {
      belong(in, certFile.get(), keyFile.get());
    }
    serverName.filter(name -> !name.matches("[A-Za-z0-9.-]+")).ifPresent(name -> in.problem("serverName",
        " = \"" + name + "\": not a host name; write the name the server's certificate holds, e.g. users.internal"));
    return new TlsConfig(caFile, certFile, keyFile, verifyHost, serverName);
  }

  /** The file must hold at least one PEM certificate that parses. */
  private static Path certificates(Fields in, String field, String file) {
    Path path = Path.of(file).toAbsolutePath().normalize();
    Optional<String> text = read(in, field, path);
    if (text.isEmpty()) {
      return path;
    }
    if (!text.get().contains("-----BEGIN CERTIFICATE-----")) {
      in.problem(field, " = \"" + path + "\": holds no PEM certificate (-----BEGIN CERTIFICATE-----); name a PEM "
          + "certificate file" + (text.get().contains("PRIVATE KEY") ? " (this one holds a private key)" : ""));
      return path;
    }
    try {
      CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(text.get().getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException e) {
      in.problem(field, " = \"" + path + "\": a certificate in it does not parse (" + e.getMessage()
          + "); export it again as PEM");
    }
    return path;
  }

  /** The file must hold one unencrypted PEM private key that decodes. */
  private static Path privateKey(Fields in, String field, String file) {
    Path path = Path.of(file).toAbsolutePath().normalize();
    Optional<String> text = read(in, field, path);
    if (text.isEmpty()) {
      return path;
    }
    Matcher pem = PEM.matcher(text.get());
    while (pem.find()) {
      String type = pem.group(1);
      if (type.equals("ENCRYPTED PRIVATE KEY")) {
        in.problem(field, " = \"" + path + "\": the key is encrypted; give it unencrypted (openssl pkcs8 -topk8 "
            + "-nocrypt) and protect the file instead");
        return path;
      }
      if (type.endsWith("PRIVATE KEY")) {
        try {
          byte[] der = Base64.getMimeDecoder().decode(pem.group(2));
          if (type.equals("PRIVATE KEY") && !pkcs8(der)) {
            in.problem(field, " = \"" + path + "\": the PKCS#8 key does not decode as RSA or EC (damaged, or "
                + "another algorithm); export the client certificate's key again as PEM");
          }
        } catch (IllegalArgumentException e) {
          in.problem(field, " = \"" + path + "\": the key's base64 is damaged; export it again as PEM");
        }
        return path;
      }
    }
    in.problem(field, " = \"" + path + "\": holds no PEM private key (-----BEGIN PRIVATE KEY-----); name the key of "
        + "the client certificate" + (text.get().contains("CERTIFICATE") ? " (this one holds a certificate)" : ""));
    return path;
  }

  /**
   * The key must be the certificate's: otherwise the handshake fails only at the first call to an upstream that
   * asks for the certificate, as a refusal that does not say why. Checked by signing a few bytes with the key and
   * verifying them with the certificate's public key, which works alike for RSA and EC. A file that does not read
   * or parse was named already, so it is passed over here.
   */
  private static void belong(Fields in, Path certFile, Path keyFile) {
    PublicKey certified;
    Optional<PrivateKey> key;
    try {
      certified = CertificateFactory.getInstance("X.509").generateCertificate(
          new ByteArrayInputStream(Files.readAllBytes(certFile))).getPublicKey();
      key = privateKey(Files.readString(keyFile, StandardCharsets.US_ASCII), certified);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      return;
    }
    if (key.isPresent() && signs(key.get(), certified)) {
      return;
    }
    in.problem("keyFile", " = \"" + keyFile + "\": is not the private key of certFile \"" + certFile + "\" (their "
        + "public keys differ); name the key that was made with that certificate, or the certificate issued for this "
        + "key (compare openssl x509 -noout -pubkey -in <certFile> with openssl pkey -pubout -in <keyFile>)");
  }

  private static boolean signs(PrivateKey key, PublicKey certified) {
    if (!key.getAlgorithm().equals(certified.getAlgorithm())) {
      return false;
    }
    String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    try {
      byte[] message = "gather: does this key belong to this certificate?".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(message);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certified);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The PEM key as a JDK key. The JDK reads PKCS#8 only; a PKCS#1 RSA key holds its modulus and private exponent
   * in plain DER integers, and a SEC1 EC key its private scalar, taken here with the certificate's curve (a key of
   * another curve then fails to verify). Empty when the key is of a kind the certificate's cannot be; throws
   * when the key does not read at all (encrypted, damaged), which {@link #privateKey(Fields, String, String)}
   * has named.
   */
  private static Optional<PrivateKey> privateKey(String pem, PublicKey certified) throws GeneralSecurityException {
    Matcher matcher = PEM.matcher(pem);
    while (matcher.find()) {
      String type = matcher.group(1);
      byte[] der = Base64.getMimeDecoder().decode(matcher.group(2));
      switch (type) {
        case "PRIVATE KEY" -> {
          for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
              return Optional.of(KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der)));
            } catch (InvalidKeySpecException e) {
              // try the next algorithm
            }
          }
          throw new InvalidKeySpecException("neither RSA nor EC");
        }
        case "RSA PRIVATE KEY" -> {
          // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, ... }
          List<byte[]> fields = Der.sequence(der);
          return Optional.of(KeyFactory.getInstance("RSA").generatePrivate(
              new RSAPrivateKeySpec(new BigInteger(fields.get(1)), new BigInteger(fields.get(3)))));
        }
        case "EC PRIVATE KEY" -> {
          // ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] parameters, [1] publicKey }
          if (!(certified instanceof ECPublicKey ec)) {
            return Optional.empty();
          }
          return Optional.of(KeyFactory.getInstance("EC").generatePrivate(
              new ECPrivateKeySpec(new BigInteger(1, Der.sequence(der).get(1)), ec.getParams())));
        }
        default -> {
          // not a key block (e.g. EC PARAMETERS before the key): look further
        }
      }
    }
    throw new InvalidKeySpecException("no unencrypted private key");
  }

  /** Just enough DER to read the top-level fields of a PKCS#1 or SEC1 key; the JDK has no public reader. */
  private static final class Der {
    private Der() {}

    /** The contents of each element of the SEQUENCE that {@code der} is. */
    static List<byte[]> sequence(byte[] der) {
      int[] at = {0};
      byte[] body = element(der, at, 0x30);
      List<byte[]> fields = new java.util.ArrayList<>();
      int[] inner = {0};
      while (inner[0] < body.length) {
        fields.add(element(body, inner, -1));
      }
      return fields;
    }

    private static byte[] element(byte[] der, int[] at, int tag) {
      int found = der[at[0]++] & 0xff;
      if (tag >= 0 && found != tag) {
        throw new IllegalArgumentException("DER tag " + found + ", expected " + tag);
      }
      int length = der[at[0]++] & 0xff;
      if (length > 0x80) {
        int bytes = length - 0x80;
        if (bytes > 3) {
          throw new IllegalArgumentException("DER length too long");
        }
        length = 0;
        for (int i = 0; i < bytes; i++) {
          length = (length << 8) | (der[at[0]++] & 0xff);
        }
      } else if (length == 0x80) {
        throw new IllegalArgumentException("indefinite DER length");
      }
      if (at[0] + length > der.length) {
        throw new IllegalArgumentException("DER element runs past its end");
      }
      byte[] content = java.util.Arrays.copyOfRange(der, at[0], at[0] + length);
      at[0] += length;
      return content;
    }
  }

  private static boolean pkcs8(byte[] der) {
    for (String algorithm : new String[] {"RSA", "EC"}) {
      try {
        KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        return true;
      } catch (java.security.GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    return false;
  }

  private static Optional<String> read(Fields in, String field, Path path) {
    if (!Files.isRegularFile(path)) {
      in.problem(field, " = \"" + path + "\": no such file; give the path of a PEM file");
      return Optional.empty();
    }
    try {
      return Optional.of(Files.readString(path, StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException e) {
      in.problem(field, " = \"" + path + "\": cannot be read (" + e.getMessage() + "); check its permissions");
      return Optional.empty();
    }
  }
}
