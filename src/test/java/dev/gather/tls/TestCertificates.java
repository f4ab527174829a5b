package dev.gather.tls;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A CA and the certificates it signs, made at run time and written as PEM files: no certificate is committed. */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A certificate and its key, and where both were written. */
  public record Issued(X509Certificate certificate, PrivateKey key, Path certFile, Path keyFile) {}

  private final Issued ca;
  private final Path dir;

  private TestCertificates(Path dir, Issued ca) {
    this.dir = dir;
    this.ca = ca;
  }

  /** A new self-signed CA named {@code name}, its files in {@code dir}. */
  public static TestCertificates authority(Path dir, String name) throws Exception {
    KeyPair keys = keyPair();
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder builder = builder(subject, subject, keys)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    X509Certificate certificate = sign(builder, keys.getPrivate());
    return new TestCertificates(dir, write(dir, name, certificate, keys.getPrivate()));
  }

  public Issued ca() {
    return ca;
  }

  /** A leaf certificate for {@code cn}, signed by this CA, naming the given DNS names and IP addresses. */
  public Issued issue(String cn, GeneralName... altNames) throws Exception {
    Instant now = Instant.now();
    return issue(cn, now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS), altNames);
  }

  /** As {@link #issue(String, GeneralName...)}, valid only from {@code notBefore} to {@code notAfter}. */
  public Issued issue(String cn, Instant notBefore, Instant notAfter, GeneralName... altNames) throws Exception {
    KeyPair keys = keyPair();
    X509v3CertificateBuilder builder = builder(
        X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()), new X500Name("CN=" + cn), keys,
        notBefore, notAfter)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    if (altNames.length > 0) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames));
    }
    return write(dir, cn, sign(builder, ca.key()), keys.getPrivate());
  }

  public static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  public static GeneralName ip(String address) {
    return new GeneralName(GeneralName.iPAddress, address);
  }

  private static KeyPair keyPair() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    return generator.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return builder(issuer, subject, keys, now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Instant notBefore,
      Instant notAfter) {
    return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(notBefore), Date.from(notAfter), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  private static Issued write(Path dir, String name, X509Certificate certificate, PrivateKey key) throws IOException {
    Path certFile = dir.resolve(name + ".crt");
    Path keyFile = dir.resolve(name + ".key");
    try (Writer out = Files.newBufferedWriter(certFile); JcaPEMWriter pem = new JcaPEMWriter(out)) {
      pem.writeObject(certificate);
    }
    try (Writer out = Files.newBufferedWriter(keyFile); JcaPEMWriter pem = new JcaPEMWriter(out)) {
      pem.writeObject(new JcaPKCS8Generator(key, null));
    }
    return new Issued(certificate, key, certFile, keyFile);
  }
}
