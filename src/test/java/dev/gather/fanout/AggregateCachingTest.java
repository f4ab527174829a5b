package dev.gather.fanout;

import static dev.gather.fanout.TestAggregates.source;
import static dev.gather.fanout.TestAggregates.aggregate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What an aggregate's answers tell clients about caching them: cacheControl, ETag, If-None-Match, no-store. */
class AggregateCachingTest {
  private static final String TAG = "W/\"[A-Za-z0-9_-]{22}\"";
  private static Vertx upstreamVertx;
  private static HttpServer upstream;
  private static RunningGather app;
  private static final AtomicInteger version = new AtomicInteger(1);
  private static final AtomicInteger profileCalls = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    upstreamVertx = Vertx.vertx();
    Router router = Router.router(upstreamVertx);
    router.get("/users/:id").handler(ctx -> {
      profileCalls.incrementAndGet();
      ctx.json(new JsonObject().put("id", Integer.parseInt(ctx.pathParam("id"))).put("name", "user"));
    });
    router.get("/version").handler(ctx -> ctx.json(new JsonObject().put("v", version.get())));
    router.get("/status/:code").handler(ctx -> ctx.response().setStatusCode(Integer.parseInt(ctx.pathParam("code")))
        .end("{}"));
    upstream = upstreamVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);

    JsonObject profile = source("/users/{id}").put("required", true);
    JsonObject config = new JsonObject()
        .put("upstreams", new JsonObject().put("test", new JsonObject()
            .put("url", "http://127.0.0.1:" + upstream.actualPort()).put("timeoutMs", 1000)))
        .put("aggregates", new JsonObject()
            .put("cached", aggregate("/aggregate/cached/:id", new JsonObject().put("profile", profile.copy()))
                .put("cacheControl", "private, max-age=30"))
            .put("plain", aggregate("/aggregate/plain/:id", new JsonObject().put("profile", profile.copy()))
                .put("cacheControl", "no-cache").put("envelope", false))
            .put("versioned", aggregate("/aggregate/versioned", new JsonObject().put("version", source("/version")))
                .put("cacheControl", "no-cache"))
            .put("partial", aggregate("/aggregate/partial/:id", new JsonObject()
                .put("profile", profile.copy()).put("down", source("/status/500")))
                .put("cacheControl", "public, max-age=60"))
            .put("failed", aggregate("/aggregate/failed", new JsonObject()
                .put("down", source("/status/500").put("required", true)))
                .put("cacheControl", "public, max-age=60"))
            .put("tenant", aggregate("/aggregate/tenant/:id", new JsonObject()
                .put("profile", profile.copy().put("headers", new JsonObject().put("X-Tenant", "{header.X-Tenant}"))))
                .put("cacheControl", "private, max-age=5"))
            .put("silent", aggregate("/aggregate/silent/:id", new JsonObject()
                .put("profile", profile.copy()).put("down", source("/status/{down}")))));
    app = RunningGather.start(config);
  }

  @AfterAll
  static void stop() throws Exception {
    app.close();
    upstreamVertx.close().await(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<Buffer> get(String uri, String ifNoneMatch) throws Exception {
    HttpRequest<Buffer> request = app.client.get(uri);
    if (ifNoneMatch != null) {
      request.putHeader("If-None-Match", ifNoneMatch);
    }
    return request.send().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aCompleteAnswerCarriesTheAggregatesCacheControlAndAWeakTag() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/cached/1", null);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("private, max-age=30", response.getHeader("Cache-Control"));
    assertTrue(response.getHeader("ETag").matches(TAG), response.getHeader("ETag"));
    assertEquals("Accept", response.getHeader("Vary"), "a streamed answer is another answer");
  }

  @Test
  void theTagIsOfTheDataSoTimingsDoNotChangeIt() throws Exception {
    HttpResponse<Buffer> first = get("/aggregate/cached/2", null);
    HttpResponse<Buffer> second = get("/aggregate/cached/2", null);
    assertEquals(first.getHeader("ETag"), second.getHeader("ETag"));
    assertNotEquals(first.getHeader("ETag"), get("/aggregate/cached/3", null).getHeader("ETag"),
        "other data, another tag");
  }

  @Test
  void theEnvelopeAndThePlainAnswerOfTheSameDataHaveTheSameTag() throws Exception {
    HttpResponse<Buffer> envelope = get("/aggregate/cached/4", null);
    HttpResponse<Buffer> plain = get("/aggregate/plain/4", null);
    assertEquals(envelope.bodyAsJsonObject().getJsonObject("data"), plain.bodyAsJsonObject(), "the same data");
    assertEquals(envelope.getHeader("ETag"), plain.getHeader("ETag"));
    assertEquals("no-cache", plain.getHeader("Cache-Control"));
  }

  @Test
  void ifNoneMatchNamingTheCurrentTagIs304WithNoBodyButTheSourcesStillRun() throws Exception {
    String etag = get("/aggregate/cached/5", null).getHeader("ETag");
    int callsBefore = profileCalls.get();
    HttpResponse<Buffer> response = get("/aggregate/cached/5", etag);
    assertEquals(304, response.statusCode());
    assertNull(response.body(), "no body");
    assertEquals(etag, response.getHeader("ETag"));
    assertEquals("private, max-age=30", response.getHeader("Cache-Control"), "RFC 9110 15.4.5: as the 200 would");
    assertEquals(callsBefore + 1, profileCalls.get(), "gather keeps no answer: the tag is of the answer just made");
  }

  @Test
  void aTagInAListWeakOrStrongMatches() throws Exception {
    String etag = get("/aggregate/cached/6", null).getHeader("ETag");
    String strong = etag.substring(2);
    assertEquals(304, get("/aggregate/cached/6", "\"other\", " + strong).statusCode());
    assertEquals(304, get("/aggregate/cached/6", "*").statusCode());
    assertEquals(200, get("/aggregate/cached/6", "\"other\", W/\"nope\"").statusCode());
  }

  @Test
  void aChangedAnswerIsSentWithANewTag() throws Exception {
    String etag = get("/aggregate/versioned", null).getHeader("ETag");
    assertEquals(304, get("/aggregate/versioned", etag).statusCode());
    version.incrementAndGet();
    HttpResponse<Buffer> changed = get("/aggregate/versioned", etag);
    assertEquals(200, changed.statusCode());
    assertNotEquals(etag, changed.getHeader("ETag"));
    assertEquals(version.get(), changed.bodyAsJsonObject().getJsonObject("data").getJsonObject("version").getInteger("v"));
  }

  @Test
  void aPartialAnswerIsNeverCacheableAndHasNoTag() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/partial/7", "*");
    assertEquals(200, response.statusCode(), "If-None-Match: * does not make a partial answer a 304");
    assertFalse(response.bodyAsJsonObject().getBoolean("complete"));
    assertEquals("no-store", response.getHeader("Cache-Control"), "not the configured public, max-age=60");
    assertNull(response.getHeader("ETag"));
  }

  @Test
  void aFailedAnswerIsNoStore() throws Exception {
    HttpResponse<Buffer> response = get("/aggregate/failed", null);
    assertEquals(502, response.statusCode());
    assertEquals("no-store", response.getHeader("Cache-Control"));
    assertNull(response.getHeader("ETag"));
  }

  @Test
  void theHeadersATemplateReadsAreInVary() throws Exception {
    HttpResponse<Buffer> response = app.client.get("/aggregate/tenant/8").putHeader("X-Tenant", "acme").send()
        .await(10, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("Accept, X-Tenant", response.getHeader("Vary"));
  }

  @Test
  void withoutCacheControlACompleteAnswerSaysNothingAndAPartialOneIsNoStore() throws Exception {
    HttpResponse<Buffer> complete = get("/aggregate/silent/9?down=200", "*");
    assertEquals(200, complete.statusCode());
    assertTrue(complete.bodyAsJsonObject().getBoolean("complete"));
    assertNull(complete.getHeader("Cache-Control"));
    assertNull(complete.getHeader("ETag"));
    HttpResponse<Buffer> partial = get("/aggregate/silent/9?down=500", null);
    assertFalse(partial.bodyAsJsonObject().getBoolean("complete"));
    assertEquals("no-store", partial.getHeader("Cache-Control"));
  }
}
