package dev.gather.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The proxy's target parser, as a table: a raw request target, and where it goes or why it is refused. */
class ProxyTargetTest {

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource(delimiter = '|', textBlock = """
      /proxy/api                   | api       | /
      /proxy/api/                  | api       | /
      /proxy/api/users/1           | api       | /users/1
      /proxy/api/users/1?x=1&y=two | api       | /users/1?x=1&y=two
      /proxy/api?x=1               | api       | /?x=1
      /proxy/my-api.v2/a/b         | my-api.v2 | /a/b
      /proxy/api/a%20b/%C3%A9      | api       | /a%20b/%C3%A9
      /proxy/api/a.b/..c/c..       | api       | /a.b/..c/c..
      /proxy/api/x?next=/a/../b    | api       | /x?next=/a/../b
      """)
  void aTargetUnderAConfiguredNameGoesThereWithItsPathAndQuery(String raw, String upstream, String pathAndQuery) {
    ProxyTarget target = ProxyTarget.parse(raw).target().orElseThrow(() ->
        new AssertionError("refused: " + ProxyTarget.parse(raw).refusal()));
    assertEquals(upstream, target.upstream());
    assertEquals(pathAndQuery, target.pathAndQuery());
  }

  @ParameterizedTest(name = "{0} -> refused: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      http://elsewhere/proxy/api/x  | must be a path starting with /proxy/
      /proxyx/api/x                 | must be a path starting with /proxy/
      /x/../proxy/api/x             | must be a path starting with /proxy/
      /proxy/                       | is not an upstream name
      /proxy/../admin               | is not an upstream name
      /proxy/%61pi/x                | is not an upstream name
      /proxy/api//elsewhere/x       | starts with another slash
      /proxy/api/http://elsewhere/x | looks like an absolute URL
      /proxy/api/..\\admin          | backslash or an @
      /proxy/api/x@elsewhere        | backslash or an @
      /proxy/api/%2e%2e/admin       | encoded slash, backslash, dot
      /proxy/api/.%2E/admin         | encoded slash, backslash, dot
      /proxy/api/%252e%252e/admin   | encoded slash, backslash, dot
      /proxy/api/a%2Fb              | encoded slash, backslash, dot
      /proxy/api/a%5cb              | encoded slash, backslash, dot
      /proxy/api/a%40b              | encoded slash, backslash, dot
      /proxy/api/x%0d%0aHost:%20y   | encoded slash, backslash, dot
      /proxy/api/x%7f               | encoded slash, backslash, dot
      /proxy/api/../admin           | dot segment
      /proxy/api/a/./b              | dot segment
      /proxy/api/a/..               | dot segment
      /proxy/api/a//b               | empty segment
      /proxy/api/x?q=%0D%0Ay        | encoded CR, LF or NUL
      /proxy/api/x?q=%00            | encoded CR, LF or NUL
      """)
  void aTargetThatCouldResolveElsewhereIsRefusedWithTheReason(String raw, String reason) {
    ProxyTarget.Result result = ProxyTarget.parse(raw);
    assertTrue(result.target().isEmpty(), raw + " was accepted as " + result.target());
    assertTrue(result.refusal().contains(reason), result.refusal());
  }

  @ParameterizedTest(name = "a control character {0} in the query is refused")
  @CsvSource({"0", "9", "31", "127"})
  void aRawControlCharacterInTheQueryIsRefused(int character) {
    ProxyTarget.Result result = ProxyTarget.parse("/proxy/api/x?q=a" + (char) character + "b");
    assertTrue(result.target().isEmpty());
    assertTrue(result.refusal().contains("control character"), result.refusal());
  }

  @Test
  void noTargetOrOneWithoutTheLeadingSlashIsRefused() {
    for (String raw : new String[] {null, "", "proxy/api/x"}) {
      assertTrue(ProxyTarget.parse(raw).target().isEmpty(), String.valueOf(raw));
    }
  }
}
