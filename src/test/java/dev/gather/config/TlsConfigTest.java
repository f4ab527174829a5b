package dev.gather.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.tls.TestCertificates;
import io.vertx.core.json.JsonObject;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files named by {@code upstreams.<name>.tls.*} and {@code db.tls.*} are read and parsed when the config is;
 * each mistake stops the start with a message naming the key, the file and what is wrong with it. The files are
 * made at run time: no certificate or key is committed.
 */
class TlsConfigTest {
  @TempDir
  static Path dir;
  private static TestCertificates.Issued ca;
  private static TestCertificates.Issued client;
  private static Path encryptedKey;
  private static Path damagedKey;
  private static TestCertificates.Issued other;
  private static Path sec1Key;

  @BeforeAll
  static void files() throws Exception {
    TestCertificates authority = TestCertificates.authority(dir, "private-ca");
    ca = authority.ca();
    client = authority.issue("gather-client");
    other = authority.issue("other-client");
    // The client's key as SEC1 (-----BEGIN EC PRIVATE KEY-----), as openssl ecparam -genkey writes it.
    sec1Key = dir.resolve("gather-client-sec1.key");
    StringWriter sec1 = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(sec1)) {
      writer.writeObject(client.key());
    }
    Files.writeString(sec1Key, sec1.toString());
    encryptedKey = dir.resolve("encrypted.key");
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
      writer.writeObject(new JcaPKCS8Generator(client.key(),
          new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(new BouncyCastleProvider())
              .setPassword("secret".toCharArray()).build()));
    }
    Files.writeString(encryptedKey, pem.toString());
    // Well-formed PEM and base64 around bytes that are no key: what a truncated or mangled copy looks like.
    byte[] noise = new byte[120];
    new Random(15).nextBytes(noise);
    damagedKey = dir.resolve("damaged.key");
    Files.writeString(damagedKey, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(noise)
        + "\n-----END PRIVATE KEY-----\n");
  }

  private static JsonObject upstream(JsonObject tls) {
    return new JsonObject().put("upstreams", new JsonObject()
        .put("users", new JsonObject().put("url", "https://users.internal").put("tls", tls)));
  }

  private static JsonObject db(JsonObject db) {
    return new JsonObject().put("db", db.put("url", "postgresql://gather@db.internal:5432/gather"));
  }

  private static String problem(JsonObject tree) {
    List<String> problems = assertThrows(ConfigException.class, () -> GatherConfig.from(tree)).problems();
    assertEquals(1, problems.size(), problems.toString());
    return problems.get(0);
  }

  private static void assertStartsWith(String prefix, String message) {
    assertTrue(message.startsWith(prefix), message);
  }

  private static String path(Path file) {
    return file.toAbsolutePath().normalize().toString();
  }

  @Test
  void theCaAndTheClientCertificateAreReadIntoTheUpstreamsTls() {
    TlsConfig tls = GatherConfig.from(upstream(new JsonObject().put("caFile", ca.certFile().toString())
            .put("certFile", client.certFile().toString()).put("keyFile", client.keyFile().toString())
            .put("verifyHost", false).put("serverName", "users.internal")))
        .upstreams().get("users").tlsConfig();
    assertEquals(Optional.of(ca.certFile().toAbsolutePath().normalize()), tls.caFile());
    assertEquals(Optional.of(client.keyFile().toAbsolutePath().normalize()), tls.keyFile());
    assertFalse(tls.verifyHost());
    assertEquals(Optional.of("users.internal"), tls.serverName());
  }

  @Test
  void aMissingCaFileIsNamedWithItsKeyAndPath() {
    Path missing = dir.resolve("no-such-ca.crt");
    String problem = problem(upstream(new JsonObject().put("caFile", missing.toString())));
    assertEquals("upstreams.users.tls.caFile = \"" + path(missing) + "\": no such file; give the path of a PEM file",
        problem);
  }

  @Test
  void aKeyWhereACertificateIsExpectedIsNamedAsAKey() {
    String problem = problem(upstream(new JsonObject().put("caFile", ca.keyFile().toString())));
    assertStartsWith("upstreams.users.tls.caFile = \"" + path(ca.keyFile()) + "\": holds no PEM certificate", problem);
    assertTrue(problem.contains("this one holds a private key"), problem);
  }

  @Test
  void aCertificateWhereTheKeyIsExpectedIsNamedAsACertificate() {
    String problem = problem(upstream(new JsonObject().put("certFile", client.certFile().toString())
        .put("keyFile", client.certFile().toString())));
    assertStartsWith("upstreams.users.tls.keyFile = \"" + path(client.certFile()) + "\": holds no PEM private key",
        problem);
    assertTrue(problem.contains("this one holds a certificate"), problem);
  }

  @Test
  void certFileWithoutKeyFileIsNamedWithTheFix() {
    String problem = problem(upstream(new JsonObject().put("certFile", client.certFile().toString())));
    assertEquals("upstreams.users.tls.keyFile: missing; a client certificate needs both certFile and keyFile (PEM), "
        + "or neither", problem);
  }

  @Test
  void anEncryptedKeyIsNamedWithHowToDecryptIt() {
    String problem = problem(upstream(new JsonObject().put("certFile", client.certFile().toString())
        .put("keyFile", encryptedKey.toString())));
    assertStartsWith("upstreams.users.tls.keyFile = \"" + path(encryptedKey) + "\": the key is encrypted", problem);
    assertTrue(problem.contains("openssl pkcs8 -topk8 -nocrypt"), problem);
  }

  @Test
  void aDamagedKeyIsNamed() {
    String problem = problem(upstream(new JsonObject().put("certFile", client.certFile().toString())
        .put("keyFile", damagedKey.toString())));
    assertStartsWith("upstreams.users.tls.keyFile = \"" + path(damagedKey) + "\": ", problem);
    assertTrue(problem.contains("damaged"), problem);
  }

  @Test
  void aDamagedCertificateIsNamed() throws Exception {
    Path damaged = dir.resolve("damaged.crt");
    Files.writeString(damaged, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    String problem = problem(upstream(new JsonObject().put("caFile", damaged.toString())));
    assertStartsWith("upstreams.users.tls.caFile = \"" + path(damaged) + "\": a certificate in it does not parse",
        problem);
  }

  @Test
  void tlsOnAnHttpUrlIsNamedWithTheFix() {
    JsonObject tree = new JsonObject().put("upstreams", new JsonObject().put("users", new JsonObject()
        .put("url", "http://users.internal:8080").put("tls", new JsonObject().put("caFile", ca.certFile().toString()))));
    assertEquals("upstreams.users.tls: given, but url \"http://users.internal:8080\" is not https://; use https:// "
        + "or remove tls", problem(tree));
  }

  @Test
  void anUnknownTlsKeyIsNamedWithTheKnownOnes() {
    String problem = problem(upstream(new JsonObject().put("caFIle", ca.certFile().toString())));
    assertStartsWith("upstreams.users.tls.caFIle: unknown key", problem);
  }

  @Test
  void theDatabasesSslModeAndFilesAreRead() {
    DbConfig config = GatherConfig.from(db(new JsonObject().put("sslMode", "VERIFY-FULL").put("tls", new JsonObject()
        .put("caFile", ca.certFile().toString()).put("certFile", client.certFile().toString())
        .put("keyFile", client.keyFile().toString())))).db();
    assertEquals(Optional.of("verify-full"), config.sslMode());
    assertEquals(Optional.of(ca.certFile().toAbsolutePath().normalize()), config.tls().caFile());
    assertTrue(config.tls().clientCertificate());
  }

  @Test
  void aBadDbSslModeIsNamedWithTheModes() {
    assertEquals("db.sslMode = \"strict\": not an sslmode; use one of [disable, allow, prefer, require, verify-ca, "
        + "verify-full] (verify-full checks the CA and the host name)",
        problem(db(new JsonObject().put("sslMode", "strict"))));
  }

  @Test
  void aMissingDbCaFileIsNamedWithItsKeyAndPath() {
    Path missing = dir.resolve("no-such-db-ca.crt");
    assertEquals("db.tls.caFile = \"" + path(missing) + "\": no such file; give the path of a PEM file",
        problem(db(new JsonObject().put("sslMode", "verify-ca")
            .put("tls", new JsonObject().put("caFile", missing.toString())))));
  }

  @Test
  void aKeyWhereTheDbCertificateIsExpectedIsNamedAsAKey() {
    String problem = problem(db(new JsonObject().put("sslMode", "require").put("tls", new JsonObject()
        .put("certFile", client.keyFile().toString()).put("keyFile", client.keyFile().toString()))));
    assertStartsWith("db.tls.certFile = \"" + path(client.keyFile()) + "\": holds no PEM certificate", problem);
  }

  @Test
  void dbCertFileWithoutKeyFileIsNamedWithTheFix() {
    assertEquals("db.tls.keyFile: missing; a client certificate needs both certFile and keyFile (PEM), or neither",
        problem(db(new JsonObject().put("sslMode", "require")
            .put("tls", new JsonObject().put("certFile", client.certFile().toString())))));
  }

  @Test
  void anEncryptedDbKeyIsNamedWithHowToDecryptIt() {
    String problem = problem(db(new JsonObject().put("sslMode", "require").put("tls", new JsonObject()
        .put("certFile", client.certFile().toString()).put("keyFile", encryptedKey.toString()))));
    assertStartsWith("db.tls.keyFile = \"" + path(encryptedKey) + "\": the key is encrypted", problem);
  }

  @Test
  void aDamagedDbKeyIsNamed() {
    String problem = problem(db(new JsonObject().put("sslMode", "require").put("tls", new JsonObject()
        .put("certFile", client.certFile().toString()).put("keyFile", damagedKey.toString()))));
    assertStartsWith("db.tls.keyFile = \"" + path(damagedKey) + "\": ", problem);
    assertTrue(problem.contains("damaged"), problem);
  }

  @Test
  void verifyFullWithoutADbCaFileIsNamedWithTheFix() {
    assertEquals("db.tls.caFile: missing; db.sslMode = \"verify-full\" checks the database's certificate against a "
        + "CA: name the PEM certificate of the CA that signed it, or use db.sslMode require",
        problem(db(new JsonObject().put("sslMode", "verify-full"))));
  }

  @Test
  void theUrlsVerifyCaWithoutADbCaFileIsNamed() {
    JsonObject tree = new JsonObject().put("db", new JsonObject()
        .put("url", "postgresql://gather@db.internal:5432/gather?sslmode=verify-ca"));
    assertStartsWith("db.tls.caFile: missing; the sslmode of db.url (verify-ca) checks the database's certificate",
        problem(tree));
  }

  @Test
  void dbTlsFilesWithTlsOffAreNamed() {
    assertEquals("db.sslMode: db.tls files are given, but db.sslMode = \"disable\" turns TLS off; set db.sslMode "
        + "to require, verify-ca or verify-full, or remove db.tls",
        problem(db(new JsonObject().put("sslMode", "disable")
            .put("tls", new JsonObject().put("caFile", ca.certFile().toString())))));
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsNamedWithBothFilesAndTheFix() {
    String problem = problem(upstream(new JsonObject().put("certFile", client.certFile().toString())
        .put("keyFile", other.keyFile().toString())));
    assertEquals("upstreams.users.tls.keyFile = \"" + path(other.keyFile()) + "\": is not the private key of "
        + "certFile \"" + path(client.certFile()) + "\" (their public keys differ); name the key that was made with "
        + "that certificate, or the certificate issued for this key (compare openssl x509 -noout -pubkey -in "
        + "<certFile> with openssl pkey -pubout -in <keyFile>)", problem);
  }

  @Test
  void theCertificatesKeyInSec1FormIsAcceptedAsItsOwn() throws Exception {
    assertTrue(Files.readString(sec1Key).contains("-----BEGIN EC PRIVATE KEY-----"), Files.readString(sec1Key));
    TlsConfig tls = GatherConfig.from(upstream(new JsonObject().put("certFile", client.certFile().toString())
        .put("keyFile", sec1Key.toString()))).upstreams().get("users").tlsConfig();
    assertTrue(tls.clientCertificate());
  }

  @Test
  void anotherCertificatesKeyInSec1FormIsNamed() throws Exception {
    String problem = problem(upstream(new JsonObject().put("certFile", other.certFile().toString())
        .put("keyFile", sec1Key.toString())));
    assertStartsWith("upstreams.users.tls.keyFile = \"" + path(sec1Key) + "\": is not the private key of certFile",
        problem);
  }

  @Test
  void aDbKeyThatIsNotTheDbCertificatesIsNamed() {
    String problem = problem(db(new JsonObject().put("sslMode", "require").put("tls", new JsonObject()
        .put("certFile", client.certFile().toString()).put("keyFile", other.keyFile().toString()))));
    assertStartsWith("db.tls.keyFile = \"" + path(other.keyFile()) + "\": is not the private key of certFile \""
        + path(client.certFile()) + "\"", problem);
  }
}
