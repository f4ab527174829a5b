package dev.gather.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The OpenAPI document and a page that renders it with Swagger UI. The UI's assets come from the webjar inside
 * gather's own jar, so {@code /docs} works on a machine without internet access.
 */
public final class ApiDocs {
  public static final String SPEC_RESOURCE = "openapi.yaml";
  private static final String PAGE = """
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>gather API</title>
        <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
      </head>
      <body>
        <div id="swagger-ui"></div>
        <script src="/docs/assets/swagger-ui-bundle.js"></script>
        <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
        <script>
          window.ui = SwaggerUIBundle({
            url: "/openapi.yaml",
            dom_id: "#swagger-ui",
            presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
            layout: "StandaloneLayout"
          });
        </script>
      </body>
      </html>
      """;

  private final Buffer spec;
  private final StaticHandler assets =
      StaticHandler.create("META-INF/resources/webjars/swagger-ui/" + BuildInfo.SWAGGER_UI_VERSION);

  public ApiDocs(Buffer spec) {
    this.spec = spec;
  }

  public void spec(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/yaml").end(spec);
  }

  public void page(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end(PAGE);
  }

  public void assets(RoutingContext ctx) {
    assets.handle(ctx);
  }
}
